export { createProgram, runCli, VERSION } from './program.js';
export { CliError, EXIT_BAD_INPUT, EXIT_FAILURE } from './errors.js';
