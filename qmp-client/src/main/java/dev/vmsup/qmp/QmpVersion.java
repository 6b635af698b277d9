package dev.vmsup.qmp;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/** QEMU's version, from the greeting or {@code query-version}. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record QmpVersion(@JsonProperty("qemu") Triple qemu, @JsonProperty("package") String packageName) {
    /** major.minor.micro */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Triple(int major, int minor, int micro) {
    }

    @Override
    public String toString() {
        return qemu.major() + "." + qemu.minor() + "." + qemu.micro()
                + (packageName == null || packageName.isBlank() ? "" : " (" + packageName.strip() + ")");
    }
}
