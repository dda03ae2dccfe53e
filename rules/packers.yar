// SPDX-License-Identifier: Apache-2.0
// Packed ELF executables: a packer hides the real code from scanners and
// reviewers. Legitimate images rarely ship packed binaries; malware (miners,
// bots) very often does, UPX first of all.

rule Packed_ELF_UPX
{
    meta:
        id = "BH-MALWARE-PACKED-ELF"
        severity = "MEDIUM"
        description = "ELF executable packed with UPX"
        bh_prefilter = true
    strings:
        $magic = "UPX!"
        $info = "$Info: This file is packed with the UPX executable packer"
        $id = "$Id: UPX "
    condition:
        uint32(0) == 0x464c457f and ($magic in (0..4096) or $info or $id)
}
