/** Thrown by the scenario API for bad input or unknown rooms and participants. */
export class EmulatorError extends Error {
  override readonly name = 'EmulatorError';
  constructor(
    readonly code: 'not_found' | 'invalid_argument',
    message: string,
  ) {
    super(message);
  }
}
