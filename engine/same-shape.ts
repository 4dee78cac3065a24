// A compile-time check that a zod schema and the TypeScript type it validates describe the same data.

/** `T` with intersections merged into plain object types, all the way down (functions left alone). */
type Flat<T> = T extends (...args: never[]) => unknown ? T : T extends object ? { [K in keyof T]: Flat<T[K]> } : T;

/**
 * `true` when `A` and `B` have the same fields, each optional in both or in neither, with the same types; else `false`.
 * Use as `true satisfies SameShape<RunRecord, z.infer<typeof runRecordSchema>>`: a field added to one side only is a
 * type error there.
 */
export type SameShape<A, B> =
  (<T>() => T extends Flat<A> ? 1 : 2) extends <T>() => T extends Flat<B> ? 1 : 2 ? true : false;
