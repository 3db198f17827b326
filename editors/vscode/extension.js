// jifen policies in VS Code: starts `jifen lsp` for .policy files and hands it the
// documents; the server does the rest (diagnostics, hover, definition, completion,
// outline, formatting).
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("jifen").get("server.path") || "jifen";
  const serverOptions = { command, args: ["lsp"] };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "jifen-policy" },
      { scheme: "untitled", language: "jifen-policy" },
    ],
  };
  client = new LanguageClient("jifen", "jifen", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.commands.registerCommand("jifen.restartServer", () => client.restart()),
  );
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `Cannot start \`${command} lsp\`: ${error.message}. Install jifen (cargo install --path .) ` +
        "or set jifen.server.path to the jifen program.",
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
