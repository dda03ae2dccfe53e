// SPDX-License-Identifier: Apache-2.0
// Reverse-shell one-liners: a shell whose input and output are a network
// connection to the attacker. The strings are the canonical one-liners'
// distinctive parts (bash /dev/tcp redirections, netcat -e, the mkfifo
// pipe, Python, Perl, PHP and socat variants), not the commands alone.

rule ReverseShell_Bash_DevTcp
{
    meta:
        id = "BH-MALWARE-REVERSE-SHELL"
        severity = "HIGH"
        description = "Reverse shell one-liner (bash /dev/tcp)"
        bh_prefilter = true
    strings:
        $a = "-i >& /dev/tcp/"
        $b = "-i >&/dev/tcp/"
        $c = "-i 2>&1 >& /dev/tcp/"
        $d = "exec 196<>/dev/tcp/"
        $e = "exec 5<>/dev/tcp/"
        $f = "0<&196;exec 196<>/dev/tcp"
        $g = "-i 5<> /dev/tcp/"
    condition:
        any of them
}

rule ReverseShell_Netcat
{
    meta:
        id = "BH-MALWARE-REVERSE-SHELL"
        severity = "HIGH"
        description = "Reverse shell one-liner (netcat)"
        bh_prefilter = true
    strings:
        $e1 = "nc -e /bin/sh"
        $e2 = "nc -e /bin/bash"
        $e3 = "ncat -e /bin/sh"
        $e4 = "ncat -e /bin/bash"
        $e5 = "nc.traditional -e /bin/"
        $c1 = "nc -c /bin/sh"
        $c2 = "nc -c bash"
        $f1 = "mkfifo /tmp/f;cat /tmp/f|"
        $f2 = "rm /tmp/f;mkfifo /tmp/f"
        $f3 = "mkfifo /tmp/f; cat /tmp/f |"
    condition:
        any of them
}

rule ReverseShell_Python
{
    meta:
        id = "BH-MALWARE-REVERSE-SHELL"
        severity = "HIGH"
        description = "Reverse shell one-liner (Python)"
        bh_prefilter = true
    strings:
        $dup = "os.dup2(s.fileno(),0)"
        $dup_sp = "os.dup2(s.fileno(), 0)"
        $sock = "socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("
        $pty_sh = "pty.spawn(\"/bin/sh\")"
        $pty_bash = "pty.spawn(\"/bin/bash\")"
    condition:
        $dup or $dup_sp or ($sock and ($pty_sh or $pty_bash))
}

rule ReverseShell_Perl_PHP_Socat
{
    meta:
        id = "BH-MALWARE-REVERSE-SHELL"
        severity = "HIGH"
        description = "Reverse shell one-liner (Perl, PHP or socat)"
        bh_prefilter = true
    strings:
        $perl_in = "open(STDIN,\">&S\")"
        $perl_exec = "exec(\"/bin/sh -i\")"
        $php = "/bin/sh -i <&3 >&3 2>&3"
        $socat1 = "exec:'bash -li',pty"
        $socat2 = "exec:bash -li,pty"
        $socat3 = "exec:'sh -li',pty"
    condition:
        ($perl_in and $perl_exec) or $php or any of ($socat*)
}
