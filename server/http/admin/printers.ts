// Admin API: printers (`<agent>/<queue>`, URL-encoded as one segment; a bare queue name
// works when unique), their cost models, restrictions and policies (docs/api.md).

import type { FastifyPluginAsync } from 'fastify';
import type { FailureMode, UpdatePrinterInput } from '../../service/types.ts';
import { defined, moneyFor, nameParams, KEYED, once } from './common.ts';
import * as F from './format.ts';
import {
  COST_MODEL_IN, COST_PUT_IN, costModelIn, costPutIn, RESTRICTIONS_IN, restrictionsIn,
  type CostModelJson, type CostPutJson, type RestrictionsJson,
} from './inputs.ts';

const ADMIN = { auth: 'admin' } as const;
const TAGS = ['printers'];
const PARAMS = nameParams('printer');

interface PrinterP { printer: string }
interface PatchBody {
  description?: string;
  enabled?: boolean;
  costModel?: CostModelJson;
  restrictions?: RestrictionsJson;
  failureMode?: FailureMode;
  releaseRequired?: boolean;
  confirmRequired?: boolean;
  claimRequired?: boolean;
  watermark?: boolean;
  watermarkTemplate?: string;
  watermarkRequired?: boolean;
}

const PATCH_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    description: { type: 'string', maxLength: 500 },
    enabled: { type: 'boolean' },
    costModel: COST_MODEL_IN,
    restrictions: RESTRICTIONS_IN,
    failureMode: { type: 'string', enum: ['ALLOW_AND_LOG_NOTHING', 'ALLOW_AND_LOG_LATER', 'HOLD_UNTIL_RECONNECTED'] },
    releaseRequired: { type: 'boolean' },
    confirmRequired: { type: 'boolean' },
    claimRequired: { type: 'boolean' },
    watermark: { type: 'boolean' },
    watermarkTemplate: { type: 'string', maxLength: 500 },
    watermarkRequired: { type: 'boolean' },
  },
} as const;

export const printerRoutes: FastifyPluginAsync = async (app) => {
  const { service } = app.printgate;

  app.get('/printers', {
    config: ADMIN,
    schema: {
      summary: 'List printers', tags: TAGS,
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: F.PRINTER_SCHEMA } }, required: ['items'] } },
    },
  }, async () => {
    const m = await moneyFor(service);
    return { items: (await service.listPrinters()).map((p) => F.printer(p, m)) };
  });

  app.get<{ Params: PrinterP }>('/printers/:printer', {
    config: ADMIN,
    schema: { summary: 'Get a printer', tags: TAGS, params: PARAMS, response: { 200: F.PRINTER_SCHEMA } },
  }, async (request) => F.printer(await service.getPrinter(request.params.printer), await moneyFor(service)));

  app.patch<{ Params: PrinterP; Body: PatchBody }>('/printers/:printer', {
    config: ADMIN,
    schema: { ...KEYED, summary: 'Change a printer', tags: TAGS, params: PARAMS, body: PATCH_BODY, response: { 200: F.PRINTER_SCHEMA } },
  }, async (request) => {
    const m = await moneyFor(service);
    const { costModel, restrictions, ...rest } = request.body;
    const patch: UpdatePrinterInput = defined({
      ...rest,
      costModel: costModel ? costModelIn(costModel, m) : undefined,
      restrictions: restrictions ? restrictionsIn(restrictions, m) : undefined,
    });
    return once(service, request, async (s) => F.printer(await s.updatePrinter(request.params.printer, patch), m));
  });

  app.put<{ Params: PrinterP; Body: CostPutJson }>('/printers/:printer/cost', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: "Set a printer's cost model: {simple: \"0.10\"} or {table: [...], default: \"0.10\"}", tags: TAGS,
      params: PARAMS, body: COST_PUT_IN, response: { 200: F.PRINTER_SCHEMA },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    const costModel = costPutIn(request.body, m);
    return once(service, request, async (s) => F.printer(await s.updatePrinter(request.params.printer, { costModel }), m));
  });
};
