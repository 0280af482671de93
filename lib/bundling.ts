/**
 * How a handler is bundled for Lambda, shared by the house construct (through NodejsFunction)
 * and by `bench/bundles` (through esbuild directly), so the benchmark measures what deploys.
 */
export const bundling = {
  target: 'node22',
  minify: true,
  sourceMap: true,
  /**
   * Source maps map stack traces to file and line; without the sources themselves (a third of
   * the size), Node.js reads a smaller map at every cold start (`--enable-source-maps`).
   */
  sourcesContent: false,
  mainFields: ['module', 'main'],
  /** ES module output still meets CommonJS dependencies that call `require`. */
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  nodeOptions: '--enable-source-maps',
} as const;
