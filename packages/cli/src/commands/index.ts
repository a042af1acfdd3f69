import type { Command } from 'commander';
import { registerBuild } from './build.js';
import { registerCheck } from './check.js';
import { registerInit } from './init.js';
import { registerLab } from './lab.js';
import { registerMigrate } from './migrate.js';
import { registerRender } from './render.js';
import { registerStart } from './start.js';
import { registerStatus } from './status.js';
import { registerStop } from './stop.js';

/** Every `boottorrent` subcommand, in the order `--help` lists them. */
export const commandRegistrations: ReadonlyArray<(program: Command) => void> = [
  registerInit,
  registerCheck,
  registerMigrate,
  registerStart,
  registerStop,
  registerStatus,
  registerLab,
  registerRender,
  registerBuild,
];
