// docs/getting-started.md shows the outside projects' files that CI builds
// and runs (test/outside/<language>): each code block after a
// `<!-- path -->` line must be that file, word for word.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./processes.js";

const PAGE = "docs/getting-started.md";

/**
 * Each file the page shows, with the code block that shows it. A block of a
 * file that holds backticks itself is fenced with more of them (the
 * formatter makes it so), and ends at a fence as long as its opening one.
 */
function shownFiles(markdown: string): { path: string; shown: string }[] {
  const blocks = /^<!-- (\S+) -->\n(`{3,})[\w-]*\n([\s\S]*?)^\2$/gm;
  return [...markdown.matchAll(blocks)].map(([, path, , shown]) => ({
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
        "test/outside/python/count_words.py",
        "test/outside/rust/Cargo.toml",
        "test/outside/rust/src/main.rs",
        "test/outside/java/pom.xml",
        "test/outside/java/src/main/java/com/example/outside/CountWords.java",
      ]),
    );
  });

  it.each(shown)("shows $path as it is", ({ path, shown: text }) => {
    expect(text, `${PAGE} shows ${path} otherwise: copy the file into the page`).toBe(
      readFileSync(join(ROOT, path), "utf8"),
    );
  });
});
