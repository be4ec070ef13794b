// The part of qlobber's API the benchmarks use (the package ships no types).
declare module 'qlobber' {
  interface QlobberOptions {
    separator?: string;
    wildcard_one?: string;
    wildcard_some?: string;
  }
  interface Qlobber<V> {
    add(topic: string, value: V): this;
    match(topic: string): V[];
    test(topic: string, value: V): boolean;
  }
  const qlobber: { Qlobber: new <V = unknown>(options?: QlobberOptions) => Qlobber<V> };
  export default qlobber;
}
