package dev.gatehouse.policies.guardrails;

/**
 * Where a string is in a JSON value, kept as a chain of steps and written out as a JSON Pointer
 * only when a finding needs it: a name or an index per step.
 */
record JsonPath(JsonPath parent, String name, int index) {
  static final JsonPath ROOT = new JsonPath(null, null, -1);

  JsonPath member(String n) {
    return new JsonPath(this, n, -1);
  }

  JsonPath element(int i) {
    return new JsonPath(this, null, i);
  }

  /** The JSON Pointer, sanitized and cut to {@value Excerpts#MAX_PATH} characters (names are content too). */
  String pointer() {
    if (parent == null) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    write(this, b, 0);
    return Excerpts.clip(b, Excerpts.MAX_PATH);
  }

  private static void write(JsonPath p, StringBuilder b, int depth) {
    if (p.parent == null) {
      return;
    }
    if (depth > Excerpts.MAX_PATH) { // every step writes at least two characters: the rest would be cut anyway
      b.append("/...");
      return;
    }
    write(p.parent, b, depth + 1);
    b.append('/');
    if (p.name == null) {
      b.append(p.index);
    } else {
      String n = p.name.length() > Excerpts.MAX_PATH ? p.name.substring(0, Excerpts.MAX_PATH) : p.name;
      b.append(n.replace("~", "~0").replace("/", "~1"));
    }
  }
}
