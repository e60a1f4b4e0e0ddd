import type { ArgumentsCamelCase, InferredOptionTypes, Options } from 'yargs'

/** A command's options by flag name, as typed on the command line (`cache-dir`). */
export type OptionTable = Readonly<Record<string, Options>>

/** `max-rss-mb` → `maxRssMb`, as yargs names parsed options. */
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S

/**
 * What a handler receives: each option of the table under its camelCase name, typed from its `type`,
 * `choices` and `default`. Nothing else: an option renamed in the table is an error where it is read.
 */
export type ArgsOf<O extends OptionTable> = {
  readonly [K in keyof O & string as CamelCase<K>]: InferredOptionTypes<O>[K]
}

/**
 * The cheap half of a command, all that `--help` needs: its name, one line, its options. It imports no
 * engine; the handler module is loaded only when the command runs.
 */
export interface CommandDefinition<O extends OptionTable> {
  readonly name: string
  readonly describe: string
  readonly options: O
}

/**
 * The handler module of a command: arguments in, exit status out. It declares `run(args: ArgsOf<…>)`;
 * pairing it with its definition checks that yargs' parsed arguments fit that type.
 */
export interface CommandHandler<O extends OptionTable> {
  run(args: ArgumentsCamelCase<InferredOptionTypes<O>>): Promise<number>
}

/** Keeps the literal types of the options (`choices`, `default`) so that the arguments are typed from them. */
export function defineCommand<const O extends OptionTable>(definition: CommandDefinition<O>): CommandDefinition<O> {
  return definition
}
