package dev.vmsup.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** QEMU's version, from the greeting or {@code query-version}. */
public record QmpVersion(Triple qemu, String packageName) {
    /** major.minor.micro */
        public record Triple(int major, int minor, int micro) {
    }

    /** The {@code version} object of the greeting or of {@code query-version}'s reply. */
    static QmpVersion of(JsonNode n) {
        Replies.object(n, "the version");
        JsonNode q = n.get("qemu");
        Triple qemu = q == null || q.isNull() ? null : new Triple(Replies.integer(Replies.object(q, "qemu"), "major"),
                Replies.integer(q, "minor"), Replies.integer(q, "micro"));
        return new QmpVersion(qemu, Replies.text(n, "package"));
    }

    @Override
    public String toString() {
        return qemu.major() + "." + qemu.minor() + "." + qemu.micro()
                + (packageName == null || packageName.isBlank() ? "" : " (" + packageName.strip() + ")");
    }
}
