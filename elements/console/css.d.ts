/** A stylesheet imported by the build as its text (esbuild's `text` loader), for Lit's `unsafeCSS`. */
declare module '*.css' {
  const text: string;
  export default text;
}
