package dev.vmsup.cgroupfs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A cgroup named by its path relative to the hierarchy root, e.g. {@code /kubepods/pod123/kata_abc}.
 * Always absolute and normalized: no {@code .} or {@code ..}, no empty component, no NUL, no component
 * longer than 255 bytes. The root is {@code /}.
 */
public record CgroupPath(List<String> components) {
    /** The longest name a directory entry can have on Linux, in bytes. */
    public static final int MAX_COMPONENT_BYTES = 255;

    public static final CgroupPath ROOT = new CgroupPath(List.of());

    public CgroupPath {
        components = List.copyOf(components);
        for (String c : components) {
            String reason = componentProblem(c);
            if (reason != null) {
                throw new InvalidCgroupPathException("/" + String.join("/", components), reason);
            }
        }
    }

    /** Parses and validates an absolute path such as {@code /kubepods/pod123}. */
    public static CgroupPath of(String path) {
        if (path == null || path.isEmpty()) {
            throw new InvalidCgroupPathException(path, "empty");
        }
        if (path.indexOf('\0') >= 0) {
            throw new InvalidCgroupPathException(path, "contains a NUL byte");
        }
        if (path.charAt(0) != '/') {
            throw new InvalidCgroupPathException(path, "not absolute (must start with '/')");
        }
        if (path.equals("/")) {
            return ROOT;
        }
        if (path.endsWith("/")) {
            throw new InvalidCgroupPathException(path, "trailing '/' (not normalized)");
        }
        List<String> parts = new ArrayList<>();
        for (String c : path.substring(1).split("/", -1)) {
            String reason = componentProblem(c);
            if (reason != null) {
                throw new InvalidCgroupPathException(path, reason);
            }
            parts.add(c);
        }
        return new CgroupPath(parts);
    }

    /** Why {@code name} cannot be one component of a cgroup path, or null if it can. */
    static String componentProblem(String name) {
        if (name.isEmpty()) {
            return "empty component ('//')";
        }
        if (name.equals(".") || name.equals("..")) {
            return "'" + name + "' component (not normalized)";
        }
        if (name.indexOf('/') >= 0) {
            return "component '" + name + "' contains '/'";
        }
        if (name.indexOf('\0') >= 0) {
            return "contains a NUL byte";
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_COMPONENT_BYTES) {
            return "component of " + bytes + " bytes (at most " + MAX_COMPONENT_BYTES + ")";
        }
        return null;
    }

    /** The child cgroup {@code name} of this one; {@code name} is one validated component. */
    public CgroupPath child(String name) {
        String reason = componentProblem(name == null ? "" : name);
        if (reason != null) {
            throw new InvalidCgroupPathException(this + "/" + name, reason);
        }
        List<String> parts = new ArrayList<>(components);
        parts.add(name);
        return new CgroupPath(parts);
    }

    /** The parent; the root's parent is an error. */
    public CgroupPath parent() {
        if (isRoot()) {
            throw new IllegalStateException("the root cgroup has no parent");
        }
        return new CgroupPath(components.subList(0, components.size() - 1));
    }

    public boolean isRoot() {
        return components.isEmpty();
    }

    /** The last component; empty for the root. */
    public String name() {
        return isRoot() ? "" : components.get(components.size() - 1);
    }

    public int depth() {
        return components.size();
    }

    /** True if {@code other} is this path or lies below it. */
    public boolean contains(CgroupPath other) {
        return other.components.size() >= components.size()
                && other.components.subList(0, components.size()).equals(components);
    }

    /** The path relative to the hierarchy root, without the leading '/', for resolving against a mount. */
    public String relative() {
        return String.join("/", components);
    }

    @Override
    public String toString() {
        return "/" + relative();
    }

    // Written out rather than the record's generated pair: those bootstrap through java.lang.runtime.ObjectMethods,
    // whose method handles are spun at the first call (~15 ms of each start, the first paths compared or hashed).
    @Override
    public boolean equals(Object o) {
        return o instanceof CgroupPath other && components.equals(other.components);
    }

    @Override
    public int hashCode() {
        return components.hashCode();
    }
}
