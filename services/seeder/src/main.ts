#!/usr/bin/env node
import { serviceMain } from '@boottorrent/runtime';
import { startSeeder } from './app.js';
import { serviceEnv } from './config.js';

await serviceMain({
  service: 'seeder',
  env: serviceEnv,
  start: ({ config, logger, nc, instance }) => startSeeder({ config, logger, nc, instance }),
});
