// protobufjs runtime set-up, evaluated before the generated code: 64-bit integer fields
// (money in minor units, timestamps) decode as plain numbers, not Long objects. Amounts
// are bounded far below 2^53 (shared/money.ts), so no precision is lost.
import $protobuf from 'protobufjs/minimal.js';

$protobuf.util.Long = undefined as unknown as typeof $protobuf.util.Long;
$protobuf.configure();
