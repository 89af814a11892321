// Checks of charts/mesh, the Dockerfile and skaffold.yaml that need no docker and no
// cluster. With helm on PATH the chart is linted, rendered for every ci/*-values.yaml and each
// manifest validated against the Kubernetes schemas (kubernetes-models, offline). Without helm the
// templates are NOT rendered: values are validated against values.schema.json and the templates are
// checked statically (block balance, .Values references, YAML skeleton, Dapr resource structure).
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import Ajv from "ajv";
import YAML from "yaml";
import { validate as lintDockerfile } from "dockerfile-utils";

const root = path.resolve(import.meta.dirname, "../..");
const chartDir = path.join(root, "charts/mesh");
const SERVICES = ["registry", "signature", "storage", "audit", "routing"];
const PROJECTS = {
  registry: "services/registry/Mesh.Registry",
  signature: "services/signature/Mesh.Signature",
  storage: "services/storage/Mesh.Storage",
  audit: "services/audit/Mesh.Audit",
  routing: "services/routing/Mesh.Routing",
  hub: "services/Mesh.Hub",
};

let passed = 0;
let failed = 0;
function check(name, fn) {
  try {
    const note = fn();
    passed++;
    console.log(`ok   ${name}${note ? ` (${note})` : ""}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${String(e.message).replaceAll("\n", "\n     ")}`);
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}
const read = (p) => readFileSync(path.join(root, p), "utf8");
const readYaml = (p) => YAML.parse(read(p));
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// Helm's coalescing of user values over the chart's: maps merge, null deletes, anything else replaces.
function coalesce(base, over) {
  if (!isObject(base) || !isObject(over)) return structuredClone(over);
  const out = structuredClone(base);
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = k in out ? coalesce(out[k], v) : structuredClone(v);
  }
  return out;
}
// "a.b.c: v" (helm --set / skaffold setValues) as a nested object.
function nest(dotted) {
  const out = {};
  for (const [key, value] of Object.entries(dotted)) {
    const parts = key.split(".");
    let node = out;
    for (const p of parts.slice(0, -1)) node = node[p] ??= {};
    node[parts.at(-1)] = value;
  }
  return out;
}

// ---------------------------------------------------------------- values and schema
const defaults = readYaml("charts/mesh/values.yaml");
// strict: an unknown or misspelt keyword in the schema is an error (helm's validator would ignore it).
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true });
let validateValues = () => {
  throw new Error("values.schema.json did not compile");
};
check("values.schema.json compiles (draft-07, no unknown keywords)", () => {
  const schema = JSON.parse(read("charts/mesh/values.schema.json"));
  assert(schema.$schema === "http://json-schema.org/draft-07/schema#", "not a draft-07 schema");
  validateValues = ajv.compile(schema);
});
const schemaErrors = (values) =>
  validateValues(values) ? "" : validateValues.errors.map((e) => `${e.instancePath || "/"} ${e.message}`).join("\n");

check("values.yaml matches values.schema.json", () => {
  const errors = schemaErrors(defaults);
  assert(!errors, errors);
});
const ciFiles = readdirSync(path.join(chartDir, "ci")).filter((f) => f.endsWith("-values.yaml")).sort();
check("charts/mesh/ci has default and production values", () => {
  for (const f of ["default-values.yaml", "production-values.yaml"]) assert(ciFiles.includes(f), `missing ci/${f}`);
  return ciFiles.join(", ");
});
for (const f of ciFiles) {
  check(`ci/${f} over values.yaml matches the schema`, () => {
    const errors = schemaErrors(coalesce(defaults, readYaml(`charts/mesh/ci/${f}`) ?? {}));
    assert(!errors, errors);
  });
}
// The schema must refuse what the chart promises never to deploy.
const mustRefuse = {
  "an image tag 'latest'": { image: { tag: "latest" } },
  "a service image tag 'latest'": { services: { audit: { image: { tag: "latest" } } } },
  "a writable root filesystem": { securityContext: { readOnlyRootFilesystem: false } },
  "privilege escalation": { securityContext: { allowPrivilegeEscalation: true } },
  "capabilities not dropped": { securityContext: { capabilities: { drop: ["NET_RAW"] } } },
  "running as root allowed": { podSecurityContext: { runAsNonRoot: false } },
  "a service without resources": { services: { storage: { resources: null } } },
  "an unknown addressing mode": { addressing: "consul" },
  "the Dapr backend without Dapr": { dapr: { enabled: false } },
  "the embedded backend": { backend: { kind: "Embedded" } },
  "a misspelt key": { servics: {} },
  "a state store of the wrong type": { dapr: { stateStore: { type: "pubsub.redis" } } },
  "component metadata without a value": { dapr: { pubsub: { metadata: [{ name: "redisHost" }] } } },
  "an app token Secret that is not a Secret name": { dapr: { appTokenSecret: "Mesh_Token" } },
};
for (const [what, patch] of Object.entries(mustRefuse)) {
  check(`schema refuses ${what}`, () => assert(!validateValues(coalesce(defaults, patch)), "accepted"));
}

// ---------------------------------------------------------------- templates, statically
const templateDir = path.join(chartDir, "templates");
const templates = readdirSync(templateDir).filter((f) => f.endsWith(".yaml")).sort();
const stripComments = (text) => text.replace(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g, "");

for (const f of [...templates, "_helpers.tpl", "NOTES.txt"]) {
  check(`templates/${f}: every if/range/with/define has its end`, () => {
    const text = stripComments(readFileSync(path.join(templateDir, f), "utf8"));
    const opens = (text.match(/\{\{-?\s*(if|range|with|define|block)\b/g) ?? []).length;
    const ends = (text.match(/\{\{-?\s*end\s*-?\}\}/g) ?? []).length;
    assert(opens === ends, `${opens} blocks opened, ${ends} closed`);
  });
}

// Every .Values path a template names exists in values.yaml (a typo renders as an empty string in helm).
check("every .Values reference exists in values.yaml", () => {
  const missing = [];
  for (const f of [...templates, "_helpers.tpl", "NOTES.txt"]) {
    const text = readFileSync(path.join(templateDir, f), "utf8");
    for (const [, ref] of text.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)) {
      let node = defaults;
      for (const key of ref.split(".").filter(Boolean)) {
        if (!isObject(node) || !(key in node)) {
          missing.push(`${f}: .Values.${ref}`);
          break;
        }
        node = node[key];
      }
    }
  }
  assert(missing.length === 0, [...new Set(missing)].join("\n"));
});

// A template with its actions taken out: whole-line actions dropped, inline ones replaced by a
// placeholder. What remains must be YAML with the resource's skeleton (not a rendering).
function skeleton(file) {
  const text = stripComments(readFileSync(path.join(templateDir, file), "utf8"));
  const lines = text
    .split("\n")
    .filter((l) => !/^\s*\{\{[^}]*\}\}\s*$/.test(l))
    .map((l) => l.replace(/\{\{-?[\s\S]*?-?\}\}/g, "X"));
  return YAML.parseAllDocuments(lines.join("\n")).map((d) => {
    if (d.errors.length) throw new Error(d.errors.map((e) => e.message).join("\n"));
    return d.toJS();
  }).filter(Boolean);
}
const skeletons = {};
for (const f of templates) {
  check(`templates/${f}: YAML skeleton parses and names apiVersion, kind, metadata`, () => {
    skeletons[f] = skeleton(f);
    assert(skeletons[f].length > 0, "no document");
    for (const doc of skeletons[f]) assert(doc.apiVersion && doc.kind && doc.metadata?.name, `incomplete: ${JSON.stringify(doc).slice(0, 120)}`);
    return skeletons[f].map((d) => d.kind).join(", ");
  });
}

const get = (obj, p) => p.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
function checkDapr(doc) {
  assert(doc.apiVersion === "dapr.io/v1alpha1", `${doc.kind}: apiVersion ${doc.apiVersion}`);
  const need =
    doc.kind === "Component"
      ? ["spec.type", "spec.version", "scopes", "auth.secretStore"]
      : ["spec.tracing.samplingRate", "spec.tracing.otel.endpointAddress", "spec.tracing.otel.protocol", "spec.mtls.enabled"];
  for (const p of need) assert(get(doc, p) !== undefined, `${doc.kind} ${doc.metadata?.name}: no ${p}`);
  if (doc.kind === "Component") {
    assert(doc.spec && "metadata" in doc.spec, "Component: no spec.metadata");
    assert(!("scopes" in doc.spec), "Component: scopes belong at the top level, not under spec");
  }
}
// The app token wiring, read from the template text: the skeleton drops the if/range lines it lives in.
// The sidecar sends the token from dapr.io/app-token-secret; the app must read the same Secret's "token"
// key as APP_API_TOKEN and list its peers' app-ids, or every call through the sidecars is refused. Both
// name the Secret through one helper, which is the operator's dapr.appTokenSecret or the chart's own.
const templateText = (f) => stripComments(readFileSync(path.join(templateDir, f), "utf8"));
check("_helpers.tpl: mesh.daprAppTokenSecret is dapr.appTokenSecret, else <fullname>-dapr-app-token with dapr addressing", () => {
  const body = templateText("_helpers.tpl").match(/define "mesh\.daprAppTokenSecret" -\}\}([\s\S]*?)\{\{- define /)?.[1];
  assert(body, "no define \"mesh.daprAppTokenSecret\"");
  const branches = body.split(/\{\{-? *else/);
  assert(/if \.Values\.dapr\.appTokenSecret \}\}\s*\{\{- \.Values\.dapr\.appTokenSecret \}\}/.test(branches[0]), "the operator's dapr.appTokenSecret does not come first");
  assert(
    /if and \.Values\.dapr\.enabled \(eq \.Values\.addressing "dapr"\) \}\}\s*\{\{- printf "%s-dapr-app-token" \(include "mesh\.fullname" \.\) \}\}/.test(branches[1] ?? ""),
    "without dapr.appTokenSecret, dapr addressing does not name <fullname>-dapr-app-token",
  );
});
check("templates/dapr-app-token.yaml: a kept Secret named by mesh.daprAppTokenSecret, token from lookup else randAlphaNum 48", () => {
  const text = templateText("dapr-app-token.yaml");
  const docs = skeleton("dapr-app-token.yaml");
  assert(docs.length === 1 && docs[0].kind === "Secret" && docs[0].apiVersion === "v1", "expected one v1 Secret");
  assert(docs[0].metadata.annotations?.["helm.sh/resource-policy"] === "keep", "no helm.sh/resource-policy: keep (an uninstall would delete the token)");
  assert(docs[0].data && "token" in docs[0].data, "no data.token");
  // Made exactly when the helper's second branch names it: dapr addressing and no Secret of the operator's.
  assert(/\{\{- if and \.Values\.dapr\.enabled \(eq \.Values\.addressing "dapr"\) \(not \.Values\.dapr\.appTokenSecret\) \}\}/.test(text), "not guarded by dapr addressing and an empty dapr.appTokenSecret");
  assert(/\$name := include "mesh\.daprAppTokenSecret" \.\s/.test(text) && /^ {2}name: \{\{ \$name \}\}$/m.test(text), "the Secret is not named by mesh.daprAppTokenSecret");
  assert(/\$previous := index \(lookup "v1" "Secret" \.Release\.Namespace \$name\) "data"/.test(text), "the existing Secret is not looked up (the token would change on every upgrade)");
  assert(/^ {2}token: \{\{ index \$previous "token" \| default \(randAlphaNum 48 \| b64enc\) \| quote \}\}$/m.test(text), "token is not the existing one, else randAlphaNum 48");
});
check("Deployment template: the sidecar annotation and APP_API_TOKEN name mesh.daprAppTokenSecret; the caller app-ids", () => {
  const text = templateText("deployment.yaml");
  assert(!/\.Values\.dapr\.appTokenSecret/.test(text), "deployment.yaml reads dapr.appTokenSecret itself instead of through mesh.daprAppTokenSecret");
  assert(/\{\{- with include "mesh\.daprAppTokenSecret" \$ \}\}\s*dapr\.io\/app-token-secret: \{\{ \. \| quote \}\}/.test(text), "no dapr.io/app-token-secret annotation from mesh.daprAppTokenSecret");
  assert(/\$tokenSecret := include "mesh\.daprAppTokenSecret" \$/.test(text), "APP_API_TOKEN's Secret is not mesh.daprAppTokenSecret");
  assert(/\{\{- if and \(eq \$\.Values\.addressing "dapr"\) \$tokenSecret \}\}\s*- name: APP_API_TOKEN\s+valueFrom: \{secretKeyRef: \{name: \{\{ \$tokenSecret \| quote \}\}, key: token\}\}/.test(text), "APP_API_TOKEN is not read from that Secret's token key with dapr addressing");
  assert(/name: Mesh__Endpoint__Internal__DaprCallerAppIds__\{\{ \$i \}\}/.test(text), "no Mesh__Endpoint__Internal__DaprCallerAppIds__<n>");
  assert(ciFiles.some((f) => readYaml(`charts/mesh/ci/${f}`)?.dapr?.appTokenSecret), "no ci/*-values.yaml sets dapr.appTokenSecret");
});
check("Dapr Component template: state store and pub/sub skeleton", () => {
  const docs = skeletons["dapr-components.yaml"];
  assert(docs?.length === 1 && docs[0].kind === "Component", "expected one Component document (rendered per role)");
  checkDapr(docs[0]);
});
check("Dapr Configuration template: tracing to OTLP, mTLS, access control", () => {
  const docs = skeletons["dapr-configuration.yaml"];
  assert(docs?.length === 1 && docs[0].kind === "Configuration", "expected one Configuration document");
  checkDapr(docs[0]);
  assert(get(docs[0], "spec.accessControl.defaultAction") === "deny", "access control must deny by default");
});
check("Deployment template: Dapr annotations, gRPC probes, security context, /tmp volume", () => {
  const dep = skeletons["deployment.yaml"]?.[0];
  const ann = get(dep, "spec.template.metadata.annotations") ?? {};
  for (const a of ["dapr.io/enabled", "dapr.io/app-id", "dapr.io/app-port", "dapr.io/app-protocol", "dapr.io/config"]) assert(a in ann, `no ${a}`);
  const c = get(dep, "spec.template.spec.containers.0");
  for (const p of ["startupProbe", "livenessProbe", "readinessProbe"]) assert(c?.[p]?.grpc, `${p} is not a gRPC probe`);
  for (const k of ["securityContext", "resources"]) assert(k in c, `container has no ${k}`);
  const vols = get(dep, "spec.template.spec.volumes") ?? [];
  assert(vols.some((v) => v.name === "tmp" && "emptyDir" in v), "no emptyDir for /tmp");
  assert(c.volumeMounts.some((m) => m.mountPath === "/tmp"), "/tmp not mounted");
});

// ---------------------------------------------------------------- helm, when present
// mesh.fullname for the release "mesh" that the checks render.
function fullname(values, release = "mesh") {
  const cut = (n) => n.slice(0, 63).replace(/-+$/, "");
  if (values.fullnameOverride) return cut(values.fullnameOverride);
  const name = values.nameOverride || readYaml("charts/mesh/Chart.yaml").name;
  return cut(release.includes(name) ? release : `${release}-${name}`);
}
// With dapr addressing every pod's sidecar and app read the token from one Secret: the operator's
// dapr.appTokenSecret, else the one the chart makes (and only then). Otherwise no token is wired.
function checkAppToken(docs, values) {
  const daprAddressing = values.dapr.enabled && values.addressing === "dapr";
  const own = values.dapr.appTokenSecret;
  const chartMade = `${fullname(values)}-dapr-app-token`;
  const expected = own || (daprAddressing ? chartMade : "");
  const deployments = docs.filter((d) => d.kind === "Deployment");
  assert(deployments.length > 0, "no Deployment rendered");
  for (const dep of deployments) {
    const id = dep.metadata.name;
    const annotation = dep.spec.template.metadata.annotations?.["dapr.io/app-token-secret"];
    assert(annotation === (values.dapr.enabled && expected ? expected : undefined), `${id}: dapr.io/app-token-secret is ${annotation}, expected ${expected || "none"}`);
    const env = dep.spec.template.spec.containers[0].env ?? [];
    const token = env.filter((e) => e.name === "APP_API_TOKEN");
    const callers = env.filter((e) => e.name.startsWith("Mesh__Endpoint__Internal__DaprCallerAppIds__"));
    if (daprAddressing) {
      const ref = token[0]?.valueFrom?.secretKeyRef;
      assert(token.length === 1 && ref?.name === expected && ref.key === "token", `${id}: APP_API_TOKEN is ${JSON.stringify(token)}, expected secretKeyRef ${expected}/token`);
      assert(callers.length > 0, `${id}: no Mesh__Endpoint__Internal__DaprCallerAppIds__<n>`);
    } else {
      assert(token.length === 0 && callers.length === 0, `${id}: APP_API_TOKEN or caller app-ids without dapr addressing`);
    }
  }
  const made = docs.filter((d) => d.kind === "Secret" && (d.metadata.name === chartMade || (own && d.metadata.name === own)));
  if (daprAddressing && !own) {
    assert(made.length === 1, `${made.length} Secrets named ${chartMade}, expected 1`);
    const token = Buffer.from(made[0].data?.token ?? "", "base64").toString("latin1");
    assert(/^[A-Za-z0-9]{48}$/.test(token), "data.token is not 48 random alphanumerics");
    assert(made[0].metadata.annotations?.["helm.sh/resource-policy"] === "keep", "not kept on uninstall (helm.sh/resource-policy: keep)");
    return `chart-made Secret ${chartMade}`;
  }
  assert(made.length === 0, `the chart made ${made.map((d) => d.metadata.name).join(", ")} although ${own ? `dapr.appTokenSecret names ${own}` : "there is no dapr addressing"}`);
  return expected ? `the operator's Secret ${expected}` : "no token (no dapr addressing)";
}
// HELM names another helm binary (e.g. a pinned one); default: helm on PATH.
const helmBin = process.env.HELM || "helm";
const helm = spawnSync(helmBin, ["version", "--short"], { encoding: "utf8" });
if (helm.status === 0) {
  const models = {};
  const model = async (apiVersion, kind) => {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const file = `kubernetes-models/${group ? `${group}/` : ""}${version}/${kind}`;
    try {
      return (models[file] ??= (await import(file))[kind]);
    } catch {
      return undefined;
    }
  };
  for (const f of ["", ...ciFiles]) {
    const args = f ? ["-f", path.join(chartDir, "ci", f)] : [];
    const label = f ? `ci/${f}` : "defaults";
    check(`helm lint --strict (${label})`, () => {
      const r = spawnSync(helmBin, ["lint", "--strict", chartDir, ...args], { encoding: "utf8" });
      assert(r.status === 0, r.stdout + r.stderr);
    });
    const r = spawnSync(helmBin, ["template", "mesh", chartDir, "--namespace", "mesh", ...args], { encoding: "utf8" });
    const docs = r.status === 0 ? YAML.parseAllDocuments(r.stdout).map((d) => d.toJS()).filter(Boolean) : [];
    check(`helm template (${label})`, () => {
      assert(r.status === 0, r.stderr);
      return `${docs.length} manifests`;
    });
    for (const doc of docs) {
      const id = `${doc.kind}/${doc.metadata?.name} (${label})`;
      const Model = await model(doc.apiVersion, doc.kind);
      check(`${id} is valid`, () => {
        assert(doc.metadata?.labels?.["app.kubernetes.io/part-of"] === "mesh", "no app.kubernetes.io/part-of: mesh label");
        if (doc.apiVersion.startsWith("dapr.io/")) return checkDapr(doc), "Dapr structure";
        if (!Model) return "no offline schema for this kind";
        new Model(doc).validate();
        if (doc.kind === "Deployment") {
          const spec = doc.spec.template.spec;
          assert(spec.securityContext.runAsNonRoot && spec.securityContext.seccompProfile.type === "RuntimeDefault", "pod security context");
          for (const c of spec.containers) {
            assert(!/:latest$|^[^:]+$/.test(c.image.replace(/^[^/]*\//, "")), `image ${c.image} has no pinned tag`);
            const sc = c.securityContext;
            assert(sc.readOnlyRootFilesystem && sc.allowPrivilegeEscalation === false && sc.capabilities.drop.includes("ALL"), "container security context");
            assert(c.resources?.requests && c.resources?.limits, "resources");
            assert(c.livenessProbe.grpc && c.readinessProbe.grpc && c.startupProbe.grpc, "gRPC probes");
          }
        }
        return "kubernetes-models";
      });
    }
    check(`Dapr app token: Secret, sidecar annotation and APP_API_TOKEN agree (${label})`, () =>
      checkAppToken(docs, coalesce(defaults, f ? readYaml(`charts/mesh/ci/${f}`) ?? {} : {})),
    );
  }
} else {
  console.log("NOTE helm is not installed: the templates were NOT rendered, linted or validated against the Kubernetes schemas;");
  console.log("     only the values, the schema and the static template checks above ran.");
}

// ---------------------------------------------------------------- Dockerfile
// One Dockerfile at the root builds every image; the build arguments PROJECT (the project's folder)
// and APP (its assembly) say which, and ${PROJECT}/${APP}.csproj is what it restores and publishes.
check(".dockerignore keeps bin/, obj/ and .git out of the build context", () => {
  const lines = read(".dockerignore").split("\n").map((l) => l.trim());
  for (const p of ["**/bin/", "**/obj/", ".git/"]) assert(lines.includes(p), `missing ${p}`);
});
const projectOf = (args) => `${args?.PROJECT}/${args?.APP}.csproj`;
check("Dockerfile: lints clean and follows the image rules", () => {
  const text = read("Dockerfile");
  const problems = lintDockerfile(text).filter((d) => d.severity === 1);
  assert(problems.length === 0, problems.map((d) => `line ${d.range.start.line + 1}: ${d.message}`).join("\n"));
  const stages = text.split(/^FROM /m);
  const build = stages.find((st) => /^\S+ AS build$/m.test(st.split("\n")[0])) ?? "";
  const defaults = Object.fromEntries([...build.matchAll(/^ARG (PROJECT|APP)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
  assert(defaults.PROJECT && defaults.APP, "the build stage does not declare ARG PROJECT=... and ARG APP=...");
  assert(existsSync(path.join(root, projectOf(defaults))), `the default ${projectOf(defaults)} does not exist`);
  const restore = build.indexOf('RUN dotnet restore "${PROJECT}/${APP}.csproj"');
  const sources = build.lastIndexOf("COPY services/ services/");
  assert(restore > 0 && restore < sources, "dotnet restore of ${PROJECT}/${APP}.csproj must come before the sources are copied");
  assert(/dotnet publish "\$\{PROJECT\}\/\$\{APP\}\.csproj" -c Release --no-restore -o \/app/.test(build), "publish of ${PROJECT}/${APP}.csproj must be Release, --no-restore, to /app");
  for (const m of text.matchAll(/^ARG \w+_IMAGE=(\S+)$/gm)) assert(/:[\w.-]+$/.test(m[1]) && !m[1].endsWith(":latest"), `unpinned base image ${m[1]}`);
  const runtime = stages.at(-1);
  assert(/^USER \S+/m.test(runtime) && !/^USER (root|0)\b/m.test(runtime), "no non-root USER");
  assert(/DOTNET_EnableDiagnostics=0/.test(runtime), "DOTNET_EnableDiagnostics=0 is not set");
  assert(/^EXPOSE 7443$/m.test(runtime), "gRPC port not exposed");
  // ENTRYPOINT cannot expand ARG: it runs the link the build stage points at the project's apphost.
  const entry = runtime.match(/^ENTRYPOINT \["\.\/([\w.-]+)"\]$/m)?.[1];
  assert(entry, "ENTRYPOINT is not [\"./<file>\"] in exec form");
  assert(/^WORKDIR \/app$/m.test(runtime) && build.includes(`ln -s "\${APP}" /app/${entry}`), `./${entry} is not a link to the apphost \${APP} in /app`);
  return `default ${projectOf(defaults)}`;
});
check("no Dockerfile but the one at the root", () => {
  const skip = new Set(["node_modules", "bin", "obj", ".git", "TestResults", ".mesh-data", "BenchmarkDotNet.Artifacts"]);
  const found = [];
  const walk = (dir) => {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory() && !skip.has(e.name)) walk(rel);
      else if (e.isFile() && /(^|\.)Dockerfile$|^Dockerfile\./.test(e.name) && rel !== "Dockerfile") found.push(rel);
    }
  };
  walk(".");
  assert(found.length === 0, `more Dockerfiles: ${found.join(", ")} (build them from the root Dockerfile with PROJECT and APP)`);
});

// ---------------------------------------------------------------- skaffold.yaml
// Each artifact: the root Dockerfile, with PROJECT and APP naming an existing project, the one its
// image name says (mesh-registry builds services/registry/Mesh.Registry).
function artifactProblems(a) {
  const dockerfile = path.resolve(root, a.context ?? ".", a.docker?.dockerfile ?? "Dockerfile");
  const args = a.docker?.buildArgs;
  const name = a.image.replace(/^mesh-/, "");
  if (dockerfile !== path.join(root, "Dockerfile")) return [`${a.image}: builds ${path.relative(root, dockerfile)}, not the root Dockerfile`];
  if (!args?.PROJECT || !args?.APP) return [`${a.image}: no buildArgs PROJECT and APP`];
  if (!existsSync(path.join(root, projectOf(args)))) return [`${a.image}: ${projectOf(args)} does not exist`];
  if (PROJECTS[name] !== args.PROJECT) return [`${a.image}: builds ${args.PROJECT}, expected ${PROJECTS[name] ?? "a Mesh project"}`];
  return [];
}
check("skaffold.yaml is skaffold/v4beta*, builds the five images and deploys charts/mesh", () => {
  const docs = YAML.parseAllDocuments(read("skaffold.yaml"));
  for (const d of docs) assert(d.errors.length === 0, d.errors.map((e) => e.message).join("\n"));
  const cfg = docs[0].toJS();
  assert(/^skaffold\/v4beta\d+$/.test(cfg.apiVersion) && cfg.kind === "Config", `apiVersion ${cfg.apiVersion}`);
  const artifacts = cfg.build.artifacts;
  for (const s of SERVICES) assert(artifacts.some((x) => x.image === `mesh-${s}`), `no artifact mesh-${s}`);
  const release = cfg.deploy.helm.releases[0];
  assert(path.resolve(root, release.chartPath) === chartDir, `chartPath ${release.chartPath}`);
  for (const p of ["dev", "debug"]) assert(cfg.profiles?.some((x) => x.name === p), `no ${p} profile`);
  return `${artifacts.length} artifacts`;
});
check("skaffold artifacts (each profile): the root Dockerfile, build args naming the image's project", () => {
  const cfg = YAML.parse(read("skaffold.yaml"));
  const sets = [["(none)", cfg.build.artifacts]];
  for (const profile of cfg.profiles ?? [])
    for (const patch of profile.patches ?? []) if (patch.path === "/build/artifacts") sets.push([profile.name, patch.value]);
  assert(sets.some(([, set]) => set.some((a) => a.image === "mesh-hub")), "no profile builds mesh-hub");
  const problems = sets.flatMap(([name, set]) => set.flatMap(artifactProblems).map((p) => `profile ${name}: ${p}`));
  assert(problems.length === 0, problems.join("\n"));
  return sets.map(([name, set]) => `${name}: ${set.length}`).join(", ");
});
check("skaffold values (each profile) match the chart schema", () => {
  const cfg = YAML.parse(read("skaffold.yaml"));
  const releaseValues = (r) =>
    coalesce(
      (r.valuesFiles ?? []).reduce((v, f) => coalesce(v, readYaml(f) ?? {}), defaults),
      nest({ ...(r.setValues ?? {}), ...(r.setValueTemplates ?? {}) }),
    );
  const errors = [];
  const base = cfg.deploy.helm.releases[0];
  for (const profile of [{ name: "(none)", patches: [] }, ...cfg.profiles]) {
    let release = structuredClone(base);
    for (const patch of profile.patches ?? []) {
      const keys = patch.path.split("/").slice(1).map((k) => k.replaceAll("~1", "/").replaceAll("~0", "~"));
      if (keys.slice(0, 4).join("/") !== "deploy/helm/releases/0") continue; // not about chart values
      assert(patch.op === "add" || patch.op === "replace", `profile ${profile.name}: only add/replace patches are checked`);
      let node = release;
      for (const k of keys.slice(4, -1)) node = node[k] ??= {};
      node[keys.at(-1)] = patch.value;
    }
    const e = schemaErrors(releaseValues(release));
    if (e) errors.push(`profile ${profile.name}:\n${e}`);
  }
  assert(errors.length === 0, errors.join("\n"));
});

// ---------------------------------------------------------------- dashboard
check("dashboards/mesh.json parses and queries the Mesh meters", () => {
  const dash = JSON.parse(read("charts/mesh/dashboards/mesh.json"));
  const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
  const metrics = new Set(exprs.flatMap((e) => e.match(/\bmesh_[a-z0-9_]+/g) ?? []));
  for (const m of ["mesh_routing_documents_accepted_total", "mesh_routing_documents_refused_total", "mesh_routing_send_duration_seconds_bucket", "mesh_routing_deliveries_overdue_total", "mesh_audit_appends_total"])
    assert(metrics.has(m), `no panel uses ${m}`);
  return `${dash.panels.length} panels`;
});

console.log(`\ncharts: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
