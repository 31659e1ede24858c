// Checks Adaptive Card JSON files with Microsoft's parser (npm adaptivecards 3, target 1.5).
// Usage: node check.js FILE.json...   Prints one JSON object per file with its problems
// (parse events and validation failures, every one of which counts) and exits 1 if any.
"use strict";
const fs = require("fs");
const AC = require("adaptivecards/dist/adaptivecards.js");

const TARGET = AC.Versions.v1_5;
const EVENTS = AC.ValidationEvent;

function inputsWithoutLabel(node, found) {
  if (Array.isArray(node)) {
    node.forEach((item) => inputsWithoutLabel(item, found));
  } else if (node && typeof node === "object") {
    if (typeof node.type === "string" && node.type.startsWith("Input.") && !node.label) {
      found.push(`${node.type} "${node.id}" has no label`);
    }
    Object.values(node).forEach((value) => inputsWithoutLabel(value, found));
  }
  return found;
}

function check(path) {
  const json = JSON.parse(fs.readFileSync(path, "utf8"));
  const problems = [];
  if (json.type !== "AdaptiveCard") problems.push("not an AdaptiveCard");
  if (AC.Version.parse(json.version, new AC.SerializationContext()).compareTo(TARGET) > 0) {
    problems.push(`version ${json.version} is above 1.5`);
  }
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(TARGET);
  card.parse(json, context);
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    problems.push(`parse: ${EVENTS[e.event]}: ${e.message}`);
  }
  for (const e of card.validateProperties().validationEvents) {
    problems.push(`validate: ${EVENTS[e.event]}: ${e.message}${e.source && e.source.id ? ` (${e.source.id})` : ""}`);
  }
  inputsWithoutLabel(json.body || [], []).forEach((p) => problems.push(`label: ${p}`));
  return { file: path, problems };
}

let failed = false;
for (const path of process.argv.slice(2)) {
  let result;
  try {
    result = check(path);
  } catch (error) {
    result = { file: path, problems: [`cannot check: ${error.message}`] };
  }
  failed = failed || result.problems.length > 0;
  console.log(JSON.stringify(result));
}
process.exit(failed ? 1 : 0);
