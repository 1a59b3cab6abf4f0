/** The subset of a pino logger the emulator uses; pass a pino child logger or leave it out. */
export interface EmulatorLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
