// docs/getting-started.md shows the outside projects' files that CI builds
// and runs (test/outside/<language>): each code block after a
// `<!-- path -->` line must be that file, word for word.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./processes.js";

const PAGE = "docs/getting-started.md";

/** Each file the page shows, with the code block that shows it. */
function shownFiles(markdown: string): { path: string; shown: string }[] {
  const blocks = /^<!-- (\S+) -->\n```[\w-]*\n([\s\S]*?)^```$/gm;
  return [...markdown.matchAll(blocks)].map(([, path, shown]) => ({
    path: path ?? "",
    shown: shown ?? "",
  }));
}

describe(PAGE, () => {
  const shown = shownFiles(readFileSync(join(ROOT, PAGE), "utf8"));

  it("shows the outside projects' files", () => {
    expect(shown.map(({ path }) => path)).toEqual(
      expect.arrayContaining([
        "test/outside/typescript/src/server.ts",
        "test/outside/typescript/tasks.yaml",
      ]),
    );
  });

  it.each(shown)("shows $path as it is", ({ path, shown: text }) => {
    expect(text, `${PAGE} shows ${path} otherwise: copy the file into the page`).toBe(
      readFileSync(join(ROOT, path), "utf8"),
    );
  });
});
