#!/usr/bin/env node
import { serviceMain } from '@boottorrent/runtime';
import { createConfigService } from './app.js';
import { configServiceEnv } from './config.js';

await serviceMain({
  service: 'config',
  env: configServiceEnv,
  start: async ({ config, logger, nc }) => {
    const service = await createConfigService({ nc, logger, config });
    // Listening waits for the first valid project (the port comes from it); a bind that fails
    // (address not on this host, port taken) is fatal, as the operator must act.
    service.listen().catch((err: unknown) => {
      logger.fatal({ err, code: 'BT_BIND', fix: 'set BT_BIND_HOST (e.g. 0.0.0.0) or correct master.address / boot.api_port' }, 'boot API cannot listen');
      process.exit(1);
    });
    return { readiness: service.readiness, close: service.close };
  },
});
