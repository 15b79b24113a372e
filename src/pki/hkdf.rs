//! HKDF-SHA256 (RFC 5869) for keys of one hash's length, on the HMAC the gateway already has
//! (aws-lc-rs): extract once from a key's bytes, then expand one block per purpose. One block
//! (32 bytes) is all an HMAC-SHA256 key needs, so the expansion is a single HMAC and cannot
//! fail, where the general one refuses lengths over 255 blocks.

use aws_lc_rs::hmac;

/// HKDF-Extract: the pseudorandom key of `input` under `salt`.
pub fn extract(salt: &[u8], input: &[u8]) -> hmac::Key {
    let prk = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, salt), input);
    hmac::Key::new(hmac::HMAC_SHA256, prk.as_ref())
}

/// HKDF-Expand of `prk` for `info`, to one block: T(1) = HMAC(PRK, info ‖ 0x01).
pub fn expand_block(prk: &hmac::Key, info: &[u8]) -> [u8; 32] {
    let mut context = hmac::Context::with_key(prk);
    context.update(info);
    context.update(&[1]);
    let mut block = [0u8; 32];
    block.copy_from_slice(context.sign().as_ref());
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5869, appendix A.1 (SHA-256): the first 32 bytes of its 42-byte OKM.
    #[test]
    fn the_rfc_5869_test_case_1() {
        let input = [0x0b_u8; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let okm = expand_block(&extract(&salt, &input), &info);
        assert_eq!(
            hex::encode(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
        );
    }

    /// The same as aws-lc-rs's own HKDF, for other inputs.
    #[test]
    fn agrees_with_aws_lc_rs_hkdf() {
        use aws_lc_rs::hkdf;
        let input = b"0123456789abcdef0123456789abcdef";
        for (salt, info) in [
            (&b""[..], &b"a"[..]),
            (b"tsgate", b"tsgate web login captcha v1"),
        ] {
            let ours = expand_block(&extract(salt, input), info);
            let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(input);
            let infos = [info];
            let okm = prk.expand(&infos, hkdf::HKDF_SHA256).unwrap();
            let mut theirs = [0u8; 32];
            okm.fill(&mut theirs).unwrap();
            assert_eq!(ours, theirs);
        }
    }
}
