#!/usr/bin/env node
import { serviceMain } from '@boottorrent/runtime';
import { startImageBuilder } from './app.js';
import { serviceEnv } from './config.js';

await serviceMain({
  service: 'image-builder',
  env: serviceEnv,
  start: ({ nc, logger, config }) => startImageBuilder({ nc, logger, config }),
});
