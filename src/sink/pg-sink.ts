export class PgSink { static async open(..._a: unknown[]): Promise<never> { throw new Error("todo") } }
