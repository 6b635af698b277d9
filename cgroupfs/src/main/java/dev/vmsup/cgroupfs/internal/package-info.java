/**
 * Helpers shared by the v1 and v2 implementations (file I/O with exact errno, task moves, subtree removal, mount
 * and {@code /proc} parsing). Not API: code outside cgroupfs uses the {@code dev.vmsup.cgroupfs} package only.
 */
package dev.vmsup.cgroupfs.internal;
