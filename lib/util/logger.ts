/** What a component outside a Moleculer service logs through (a service passes its `this.logger`). */
export interface Logger {
  info?(...a: unknown[]): void;
  warn(...a: unknown[]): void;
  error(...a: unknown[]): void;
}
