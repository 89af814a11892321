# syntax=docker/dockerfile:1
# Every Mesh image: one of the five services, or the all-in-one hub (the default). Build from the
# repository root, naming the project's folder and its assembly (skaffold.yaml has all six):
#   docker build -t mesh-hub .
#   docker build --build-arg PROJECT=services/registry/Mesh.Registry --build-arg APP=Mesh.Registry -t mesh-registry .
# Tags are pinned to the .NET 10 line; release builds pin digests with --build-arg.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
# chiseled: no shell, no package manager, non-root "app" user (UID 1654). "extra" adds ICU and
# tzdata, which Mesh needs (globalization is not invariant; deadlines use Asia/Ho_Chi_Minh).
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra

# Only the project files survive here, so the restore layer below is reused until a project
# file or a package version changes, whichever project the image's project references.
FROM ${SDK_IMAGE} AS projects
WORKDIR /src
COPY services/ services/
RUN find services -type f ! -name '*.csproj' ! -name '*.props' ! -name '*.targets' -delete

FROM ${SDK_IMAGE} AS build
# The project is ${PROJECT}/${APP}.csproj, so a folder and an assembly that disagree fail the restore.
ARG PROJECT=services/Mesh.Hub
ARG APP=Mesh.Hub
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY protos/ protos/
COPY --from=projects /src/services/ services/
RUN dotnet restore "${PROJECT}/${APP}.csproj"
COPY services/ services/
# ENTRYPOINT cannot expand a build argument: a fixed link names the project's apphost, which finds
# its assembly through its own resolved path (/app).
RUN dotnet publish "${PROJECT}/${APP}.csproj" -c Release --no-restore -o /app \
 && ln -s "${APP}" /app/entrypoint \
 && mkdir -p /data

FROM ${RUNTIME_IMAGE}
WORKDIR /app
# Diagnostics off: no IPC socket in /tmp and no debugger/profiler attach in production.
# ASPNETCORE_HTTP_PORTS is cleared: Mesh binds its own endpoint (Mesh:Endpoint:*).
# Workstation GC stays (runtimeconfig): pods get one or two cores, where server GC does not pay.
ENV DOTNET_EnableDiagnostics=0 \
    ASPNETCORE_HTTP_PORTS= \
    Mesh__DataDirectory=/var/lib/mesh \
    Mesh__Endpoint__Port=7443
# Application files stay root-owned (read-only to the app); the data directory is the one place
# it writes, and in Kubernetes a volume is mounted over it (the root filesystem is read-only).
COPY --from=build /app ./
COPY --from=build --chown=$APP_UID:$APP_UID /data /var/lib/mesh
USER $APP_UID
EXPOSE 7443
ENTRYPOINT ["./entrypoint"]
