/**
 * The defaults of the address options (see rendezvous.ts), in a module of their own so that
 * --help can show them without loading the connection code.
 */
export const RELAY_ENVIRONMENT_VARIABLE = 'SEALDROP_RELAY';
export const DEFAULT_PORT = 7878;
export const DEFAULT_LISTEN_HOST = '0.0.0.0';
