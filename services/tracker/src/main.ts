#!/usr/bin/env node
import { serviceMain } from '@boottorrent/runtime';
import { startTracker } from './app.js';
import { serviceEnv } from './config.js';

await serviceMain({
  service: 'tracker',
  env: serviceEnv,
  start: ({ config, logger, nc, instance }) => startTracker({ config, logger, nc, instance }),
});
