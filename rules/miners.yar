// SPDX-License-Identifier: Apache-2.0
// Crypto-miners: the stratum mining protocol, XMRig's own strings, the
// best-known Monero pools, and the Kinsing miner that targets containers.

rule CryptoMiner_Stratum_URL
{
    meta:
        id = "BH-MALWARE-MINER-POOL"
        severity = "HIGH"
        description = "Crypto-mining pool URL (stratum protocol)"
        bh_prefilter = true
    strings:
        $tcp = "stratum+tcp://" nocase
        $ssl = "stratum+ssl://" nocase
        $tls = "stratum+tls://" nocase
        $v1 = "stratum1+tcp://" nocase
        $v2 = "stratum2+tcp://" nocase
    condition:
        any of them
}

rule CryptoMiner_Pool_Host
{
    meta:
        id = "BH-MALWARE-MINER-POOL"
        severity = "HIGH"
        description = "Address of a crypto-mining pool"
        bh_prefilter = true
    strings:
        $p1 = "supportxmr.com" nocase
        $p2 = "minexmr.com" nocase
        $p3 = "moneroocean.stream" nocase
        $p4 = "nanopool.org" nocase
        $p5 = "xmrpool.eu" nocase
        $p6 = "c3pool.com" nocase
        $p7 = "hashvault.pro" nocase
        $p8 = "herominers.com" nocase
        $p9 = "2miners.com" nocase
        $p10 = "f2pool.com" nocase
        $p11 = "minergate.com" nocase
        $p12 = "monerohash.com" nocase
        $p13 = "nicehash.com" nocase
        $p14 = "xmrig.com" nocase
    condition:
        any of them
}

rule CryptoMiner_XMRig
{
    meta:
        id = "BH-MALWARE-MINER"
        severity = "CRITICAL"
        description = "XMRig crypto-miner"
        bh_prefilter = true
    strings:
        $name = "xmrig" nocase
        $donate = "--donate-level"
        $donate_json = "\"donate-level\""
        $cn = "cryptonight" nocase
        $rx = "rx/0"
        $ua = "XMRig/"
    condition:
        2 of them
}

rule CryptoMiner_Kinsing
{
    meta:
        id = "BH-MALWARE-MINER"
        severity = "CRITICAL"
        description = "Kinsing container malware (miner kdevtmpfsi)"
        bh_prefilter = true
    strings:
        $a = "kdevtmpfsi"
        $b = "kinsing"
    condition:
        any of them
}
