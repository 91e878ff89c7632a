// Allure 3 configuration for pytest-meshscale reports (`meshscale report` sets the MESHSCALE_* variables;
// `npx allure generate <results> -c allurerc.mjs` works too, with the defaults below).
// Plain object export (no `import { defineConfig } from "allure"`): it is an identity function, and
// importing it would tie this file to a node_modules folder next to it.
import { readFileSync } from "node:fs";

const env = process.env;
const simulated = env.MESHSCALE_SIMULATED === "true";
const meshes = (env.MESHSCALE_MESHES || "istio-ambient,cilium,baseline").split(",").filter(Boolean);
const name = env.MESHSCALE_REPORT_NAME || `pytest-meshscale${simulated ? " - SIMULATED" : ""}`;

// One category list for Allure 2 (categories.json in the results) and Allure 3 (here):
// failed = a finding about the mesh, broken = an infrastructure error.
const categories = JSON.parse(
  readFileSync(new URL("./pytest_meshscale/report/categories.json", import.meta.url), "utf8"),
).map(({ description, ...rule }) => rule);

// Each mesh is an Allure environment, keyed by the `mesh` label the plugin puts on every result:
// the report gets an environment selector and each test an Environments tab across meshes.
const marked = (title) => (simulated ? `${title} (SIMULATED)` : title);
const hasMesh = (labels) => labels.some((l) => l.name === "mesh");
const environments = Object.fromEntries(
  meshes.map((mesh) => [
    mesh,
    {
      name: marked(mesh),
      matcher: ({ labels }) => labels.some((l) => l.name === "mesh" && l.value === mesh),
    },
  ]),
);
// Checks across meshes (e.g. "same intent, same matrix on every mesh") have no mesh label; without
// this they land in an environment called "default". `meshscale report` says whether there are any
// (an environment without results would still be listed); plain `npx allure generate` assumes so.
if (env.MESHSCALE_CROSS_MESH !== "false") {
  environments["all-meshes"] = { name: marked("across meshes"), matcher: ({ labels }) => !hasMesh(labels) };
}

export default {
  name,
  environments,
  categories,
  ...(env.MESHSCALE_HISTORY ? { historyPath: env.MESHSCALE_HISTORY } : {}),
  plugins: {
    awesome: {
      options: {
        reportName: name,
        singleFile: env.MESHSCALE_SINGLE_FILE === "true",
        groupBy: ["epic", "feature"],
      },
    },
  },
};
