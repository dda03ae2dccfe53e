// SPDX-License-Identifier: Apache-2.0
// The npm Sigstore libraries as the independent party of trust-sigstore-js.test:
//
//   node sigstore.js verify BUNDLE PUBKEY.pem [ARTIFACT]   exit 0 verified, 1 not
//   node sigstore.js sign-message KEY.pem PUBKEY.pem ARTIFACT > bundle.json
//   node sigstore.js sign-dsse KEY.pem PUBKEY.pem PAYLOAD PAYLOADTYPE > bundle.json
//
// Keyed only: an empty trusted root, no transparency log or timestamp
// required (thresholds 0), the public key the one given on the command line.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { bundleFromJSON, bundleToJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const { MessageSignatureBundleBuilder, DSSEBundleBuilder } = require('@sigstore/sign');

function keyHint(pubPem) {
	const der = crypto.createPublicKey(pubPem).export({ type: 'spki', format: 'der' });
	return 'sha256:' + crypto.createHash('sha256').update(der).digest('hex');
}

async function main() {
	const [cmd, ...args] = process.argv.slice(2);
	if (cmd === 'verify') {
		const [bundlePath, pubPath, artifactPath] = args;
		const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
		const pub = fs.readFileSync(pubPath, 'utf8');
		const der = crypto.createPublicKey(pub).export({ type: 'spki', format: 'der' });
		const root = { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] };
		// the key we were given, whatever the bundle's hint says: a bundle
		// signed by another key fails on its signature, not on a lookup
		const finder = () => ({ publicKey: crypto.createPublicKey({ key: der, format: 'der', type: 'spki' }),
			validFor: () => true });
		const verifier = new Verifier(toTrustMaterial(root, finder), {
			tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0,
		});
		const artifact = artifactPath ? fs.readFileSync(artifactPath) : undefined;
		try {
			verifier.verify(toSignedEntity(bundle, artifact));
		} catch (e) {
			console.error('sigstore-js: not verified: ' + (e.code || '') + ' ' + e.message);
			process.exit(1);
		}
		console.log('sigstore-js: verified');
		return;
	}
	if (cmd === 'sign-message' || cmd === 'sign-dsse') {
		const [keyPath, pubPath, dataPath, payloadType] = args;
		const priv = crypto.createPrivateKey(fs.readFileSync(keyPath, 'utf8'));
		const pub = fs.readFileSync(pubPath, 'utf8');
		const signer = {
			sign: async (data) => ({
				signature: crypto.sign('sha256', data, priv),
				key: { $case: 'publicKey', publicKey: pub, hint: keyHint(pub) },
			}),
		};
		const Builder = cmd === 'sign-message' ? MessageSignatureBundleBuilder : DSSEBundleBuilder;
		const builder = new Builder({ signer, witnesses: [] });
		const artifact = { data: fs.readFileSync(dataPath) };
		if (payloadType) artifact.type = payloadType;
		const bundle = await builder.create(artifact);
		process.stdout.write(JSON.stringify(bundleToJSON(bundle)) + '\n');
		return;
	}
	console.error('usage: sigstore.js verify|sign-message|sign-dsse ...');
	process.exit(2);
}
main().catch((e) => { console.error('sigstore-js: ' + e.stack); process.exit(3); });
