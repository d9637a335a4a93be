// A stand-in for a real site generator: writes the site into dist/.
const fs = require("fs");
fs.mkdirSync("dist/assets", { recursive: true });
const page = (title, body) =>
  `<!doctype html>\n<html><head><title>${title}</title></head><body>${body}</body></html>\n`;
fs.writeFileSync("dist/index.html", page("static-build", "<h1>built by build.js</h1>"));
fs.writeFileSync("dist/404.html", page("not found", "<h1>static-build 404 page</h1>"));
fs.writeFileSync("dist/assets/app.js", "console.log(" + JSON.stringify("x".repeat(2000)) + ");\n");
console.log("built dist/");
