#!/usr/bin/env node
import { serviceMain } from '@boottorrent/runtime';
import { createDhcpService } from './app.js';
import { serviceEnv } from './config.js';

await serviceMain({
  service: 'dhcp',
  env: serviceEnv,
  start: ({ nc, logger, config, instance }) => createDhcpService({ nc, logger, config, instance }),
});
