// IPP codec: exact bytes for a known request, round trips of every value tag, collections,
// out-of-band values, several groups (subscription, event-notification), binary data kept
// as bytes, and malformed input giving IppDecodeError with the offset.
import t, { type Test } from 'tap';
import { encode } from '../../../platform/cups/ipp-encode.ts';
import { decode, IppDecodeError } from '../../../platform/cups/ipp-decode.ts';
import { a, attr, fromDate, groupsOf, num, operationGroup, request, str, toDate, type IppMessage } from '../../../platform/cups/ipp-message.ts';
import { GroupTag, Operation, ValueTag } from '../../../platform/cups/ipp-tags.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

t.test('a Get-Printer-Attributes request encodes to the RFC 8010 bytes', async (t) => {
  const msg = request(Operation.GetPrinterAttributes, 7, [
    operationGroup(a.uri('printer-uri', 'ipp://h/p')),
  ]);
  const expected =
    '0200' + '000b' + '00000007' + '01' +
    '47' + '0012' + Buffer.from('attributes-charset').toString('hex') + '0005' + Buffer.from('utf-8').toString('hex') +
    '48' + '001b' + Buffer.from('attributes-natural-language').toString('hex') + '0002' + Buffer.from('en').toString('hex') +
    '45' + '000b' + Buffer.from('printer-uri').toString('hex') + '0009' + Buffer.from('ipp://h/p').toString('hex') +
    '03';
  t.equal(hex(encode(msg)), expected);
});

/** Every value tag we know, with a representative value. */
function everyTag(): IppMessage {
  const binary = new Uint8Array(256).map((_, i) => i);
  return {
    version: [1, 1],
    code: 0x0000,
    requestId: 0xfffffffe,
    groups: [
      operationGroup(a.text('status-message', 'successful-ok')),
      {
        tag: GroupTag.printer,
        attributes: [
          a.integer('queued-job-count', 0, -1, 2147483647, -2147483648),
          a.boolean('color-supported', true, false),
          a.enumeration('printer-state', 3),
          a.octets('printer-alert', binary),
          attr('printer-current-time', ValueTag.dateTime, { year: 2026, month: 11, day: 20, hours: 23, minutes: 5, seconds: 59, deciSeconds: 9, utcDirection: '-', utcHours: 5, utcMinutes: 30 }),
          attr('printer-resolution-default', ValueTag.resolution, { x: 600, y: 1200, units: 3 }),
          a.range('copies-supported', { lower: 1, upper: 9999 }),
          attr('printer-info', ValueTag.textWithLanguage, { lang: 'fr', text: 'Imprimante « 2ᵉ »' }),
          attr('printer-name', ValueTag.nameWithLanguage, { lang: 'en', text: 'lab' }),
          a.text('printer-location', 'Room 1'),
          a.name('printer-dns-sd-name', 'Lab'),
          a.keyword('sides-supported', 'one-sided', 'two-sided-long-edge'),
          a.uri('printer-uri-supported', 'ipp://127.0.0.1:631/printers/lab'),
          attr('uri-authentication-supported', ValueTag.uriScheme, 'ipp'),
          attr('charset-supported', ValueTag.charset, 'utf-8'),
          attr('generated-natural-language-supported', ValueTag.naturalLanguage, 'en-us'),
          a.mime('document-format-supported', 'application/pdf', 'image/urf'),
          // A 1setOf mixing tags, as IPP allows (integer and rangeOfInteger).
          { name: 'number-up-supported', values: [{ tag: ValueTag.integer, value: 1 }, { tag: ValueTag.rangeOfInteger, value: { lower: 2, upper: 16 } }] },
          a.outOfBand('printer-state-message', ValueTag.noValue),
          a.outOfBand('job-sheets-default', ValueTag.unknown),
          a.outOfBand('output-bin', ValueTag.unsupported),
          a.outOfBand('a', ValueTag.default),
          a.outOfBand('b', ValueTag.notSettable),
          a.outOfBand('c', ValueTag.deleteAttribute),
          a.outOfBand('d', ValueTag.adminDefine),
          // An unknown octet-like tag and an extension value keep their bytes.
          attr('vendor-octets', 0x3a, new Uint8Array([1, 2, 3])),
          attr('vendor-extension', ValueTag.extension, new Uint8Array([0x40, 0, 0, 0, 0xaa])),
        ],
      },
      {
        tag: GroupTag.subscription,
        attributes: [a.integer('notify-subscription-id', 12), a.keyword('notify-events', 'job-created', 'job-completed'), a.keyword('notify-pull-method', 'ippget')],
      },
      { tag: GroupTag.eventNotification, attributes: [a.integer('notify-sequence-number', 1), a.text('notify-text', 'Job created.')] },
      { tag: GroupTag.eventNotification, attributes: [a.integer('notify-sequence-number', 2)] },
      { tag: GroupTag.unsupported, attributes: [a.keyword('finishings-col', 'x')] },
      { tag: GroupTag.job, attributes: [] },
    ],
    data: new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]),
  };
}

t.test('every value tag, several groups and data round-trip exactly', async (t) => {
  const msg = everyTag();
  const bytes = encode(msg);
  const back = decode(bytes);
  t.same(back, msg);
  t.equal(hex(encode(back)), hex(bytes), 're-encoding gives the same bytes');
  t.equal(groupsOf(back, GroupTag.eventNotification).length, 2, 'repeated groups stay a list');
  t.equal(groupsOf(back, GroupTag.subscription).length, 1, 'the subscription group is kept');
  const printer = groupsOf(back, GroupTag.printer)[0]!.attributes;
  const octets = printer.find((x) => x.name === 'printer-alert')!.values[0]!.value;
  t.ok(octets instanceof Uint8Array, 'octetString stays bytes');
  t.equal((octets as Uint8Array).length, 256);
  t.equal(str(printer, 'printer-info'), 'Imprimante « 2ᵉ »');
  t.equal(num(printer, 'printer-state'), 3);
});

t.test('collections, nested, with several values per member', async (t) => {
  const media = attr('media-col', ValueTag.begCollection, [
    { name: 'media-size', values: [{ tag: ValueTag.begCollection, value: [a.integer('x-dimension', 21000), a.integer('y-dimension', 29700)] }] },
    a.keyword('media-type', 'stationery'),
    a.integer('media-margins', 0, 300),
  ], [a.keyword('media-source', 'tray-1')]);
  const msg = request(Operation.CreateJob, 1, [operationGroup(), { tag: GroupTag.job, attributes: [media, a.keyword('sides', 'one-sided')] }]);
  const back = decode(encode(msg));
  t.same(back, msg);
  const col = back.groups[1]!.attributes[0]!.values;
  t.equal(col.length, 2, 'two collection values');
  t.equal(back.groups[1]!.attributes[1]!.name, 'sides', 'the attribute after the collection is not swallowed');
});

t.test('document data stays bytes, unchanged, for a big binary document', async (t) => {
  const data = new Uint8Array(8 * 1024 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const bytes = encode(request(Operation.SendDocument, 3, [operationGroup(a.boolean('last-document', true))], data));
  const back = decode(bytes);
  t.equal(back.data.length, data.length);
  t.ok(Buffer.from(back.data).equals(Buffer.from(data)), 'no UTF-8 mangling');
});

t.test('dateTime converts to and from Date', async (t) => {
  const d = new Date(Date.UTC(2026, 10, 20, 23, 0, 0, 500));
  t.equal(toDate(fromDate(d)).getTime(), d.getTime());
  t.equal(toDate({ year: 2026, month: 11, day: 20, hours: 18, minutes: 0, seconds: 0, deciSeconds: 0, utcDirection: '-', utcHours: 5, utcMinutes: 0 }).toISOString(), '2026-11-20T23:00:00.000Z');
});

function decodeError(t: Test, bytes: Uint8Array, match: RegExp, offset?: number): void {
  try {
    decode(bytes);
    t.fail(`decoded ${hex(bytes).slice(0, 80)}`);
  } catch (err) {
    t.ok(err instanceof IppDecodeError, 'IppDecodeError');
    const e = err as IppDecodeError;
    t.match(e.message, match);
    t.equal(e.code, 'IPP_MALFORMED');
    t.ok(e.offset >= 0 && e.offset <= bytes.length, 'offset inside the input');
    if (offset !== undefined) t.equal(e.offset, offset, 'offset');
  }
}

t.test('bad input: typed errors with the offset', async (t) => {
  const header = '0200000b00000001';
  decodeError(t, new Uint8Array([2, 0, 0]), /truncated header/, 0);
  decodeError(t, Buffer.from(header, 'hex'), /missing end-of-attributes/, 8);
  decodeError(t, Buffer.from(header + '01' + '21' + '0001' + '61' + '0004' + '0000', 'hex'), /truncated value/, 15);
  decodeError(t, Buffer.from(header + '01' + '21' + '0001' + '61' + '0002' + '0000' + '03', 'hex'), /integer "a" has length 2, expected 4/, 9);
  decodeError(t, Buffer.from(header + '21' + '0001' + '61' + '0004' + '00000000' + '03', 'hex'), /before any group/, 8);
  decodeError(t, Buffer.from(header + '01' + '21' + '0000' + '0004' + '00000000' + '03', 'hex'), /additional value without an attribute/, 9);
  decodeError(t, Buffer.from(header + '01' + '34' + '0001' + '63' + '0000' + '03', 'hex'), /group tag 0x3 inside a collection/);
  decodeError(t, Buffer.from(header + '01' + '34' + '0001' + '63' + '0000', 'hex'), /collection not closed/, 9);
  decodeError(t, Buffer.from(header + '01' + '34' + '0001' + '63' + '0000' + '21' + '0000' + '0004' + '00000001' + '37000000000003', 'hex'), /before any member name/);
  decodeError(t, Buffer.from(header + '01' + '37' + '0000' + '0000' + '03', 'hex'), /outside a collection/, 9);
  decodeError(t, Buffer.from(header + '00', 'hex'), /reserved tag/, 8);
  // Collections nested beyond the limit.
  let deep = header + '01' + '34' + '0001' + '63' + '0000';
  for (let i = 0; i < 20; i++) deep += '4a' + '0000' + '0001' + '6d' + '34' + '0000' + '0000';
  decodeError(t, Buffer.from(deep, 'hex'), /nested deeper/);
});

t.test('every truncation of a valid message fails cleanly', async (t) => {
  const bytes = encode(everyTag());
  const end = bytes.length - everyTag().data.length; // cutting inside the data is still valid
  let typed = 0;
  for (let n = 0; n < end; n++) {
    try {
      decode(bytes.subarray(0, n));
    } catch (err) {
      if (err instanceof IppDecodeError && (err as IppDecodeError).offset <= n) typed++;
    }
  }
  t.equal(typed, end, 'each prefix gives an IppDecodeError with an offset inside it');
});

t.test('random corruption never throws anything but IppDecodeError', async (t) => {
  const base = encode(everyTag());
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  let other = 0;
  for (let round = 0; round < 3000; round++) {
    const b = base.slice();
    for (let k = 0; k < 3; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    try {
      decode(b);
    } catch (err) {
      if (!(err instanceof IppDecodeError)) other++;
    }
  }
  t.equal(other, 0);
});

t.test('the encoder refuses values that do not fit their tag', async (t) => {
  t.throws(() => encode(request(1, 1, [operationGroup(attr('x', ValueTag.integer, 'one'))])), /does not fit integer/);
  t.throws(() => encode(request(1, 1, [operationGroup(attr('x', ValueTag.integer, 2 ** 31))])), /does not fit integer/);
  t.throws(() => encode(request(1, 1, [operationGroup(attr('x', ValueTag.keyword, new Uint8Array(1)))])), /does not fit keyword/);
  t.throws(() => encode(request(1, 1, [operationGroup(attr('x', ValueTag.textWithoutLanguage, 'x'.repeat(70000)))])), /2-byte length/);
  t.throws(() => encode(request(1, 1, [operationGroup({ name: 'x', values: [] })])), /no value/);
  t.throws(() => encode(request(1, 1, [{ tag: 3, attributes: [] }])), /bad group tag/);
});
