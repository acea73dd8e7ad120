# Gatehouse image: one fat jar, run as `server` by default.
#   docker build -t gatehouse .
#   docker run --rm -p 8080:8080 -p 8081:8081 -e GATEHOUSE_DB_URL=... gatehouse
# The configuration is /app/gatehouse.yml (config/gatehouse.yml); see docs/configuration.md.

# ---- build ---------------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src

# The POMs first, so the dependency download is cached until a POM changes.
COPY pom.xml ./
COPY workflows/pom.xml workflows/
COPY registry/pom.xml registry/
COPY policies/pom.xml policies/
COPY activities/pom.xml activities/
COPY api-frontend/pom.xml api-frontend/
COPY api-frontend/core/pom.xml api-frontend/core/
COPY api-frontend/tasks/pom.xml api-frontend/tasks/
COPY api-frontend/mcp/pom.xml api-frontend/mcp/
COPY api-frontend/models/pom.xml api-frontend/models/
COPY api-frontend/app/pom.xml api-frontend/app/
# The root POM lists it as a module; it is not built into the image.
COPY benchmarks/pom.xml benchmarks/
# Best effort: whatever go-offline misses is fetched by the package step below.
RUN mvn -B -q -pl api-frontend/app -am dependency:go-offline || echo "dependency:go-offline incomplete; continuing"

COPY workflows/src workflows/src
COPY registry/src registry/src
COPY policies/src policies/src
COPY activities/src activities/src
COPY api-frontend/core/src api-frontend/core/src
COPY api-frontend/tasks/src api-frontend/tasks/src
COPY api-frontend/mcp/src api-frontend/mcp/src
COPY api-frontend/models/src api-frontend/models/src
COPY api-frontend/app/src api-frontend/app/src
RUN mvn -B -DskipTests -pl api-frontend/app -am package

# ---- runtime -------------------------------------------------------------------------------
# Java 25 (the jar is built for 17 and runs on either); there requests are served on virtual
# threads (requestThreads: auto, docs/configuration.md).
FROM eclipse-temurin:25-jre

RUN groupadd --system --gid 10001 gatehouse \
 && useradd --system --uid 10001 --gid gatehouse --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin gatehouse

WORKDIR /app
COPY --from=build /src/api-frontend/app/target/gatehouse.jar /app/gatehouse.jar
COPY config/gatehouse.yml /app/gatehouse.yml

# Let the heap use most of the container's memory limit (the JVM default is 25%), and give the
# heap and the compiled code transparent huge pages where the host's kernel allows them (its
# "madvise" mode): the server's flags, SERVER_JVM_OPTS of the ./gatehouse launcher
# (docs/deployment.md).
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75.0 -XX:+UseTransparentHugePages"

USER 10001:10001

# 8080: API; 8081: admin (/healthcheck, /prometheus).
EXPOSE 8080 8081

ENTRYPOINT ["java","-jar","/app/gatehouse.jar"]
CMD ["server","/app/gatehouse.yml"]
