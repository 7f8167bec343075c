#pragma once
// Fixed keys and tokens of the JWT fuzzer (tests/fuzz/fuzz_jwt.cpp). Generated
// once with the openssl CLI (`openssl genpkey -algorithm RSA`, `openssl dgst
// -sha256 -sign`); the private keys were thrown away, so nothing but these
// exact tokens can carry a valid signature.

namespace trainia::fuzz::jwt_fixtures {

// Public key "k1" (SubjectPublicKeyInfo).
inline constexpr const char* pem_k1 = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwieYIKg3J4DZp7EiH8ki\niWXLqFHu8b6FXBxW4uihVdopP94F3PI/svVU9z9gD7oWlJApCqDJxPRbu1sXC9Hp\nIS2NGTI/37xwbbEJnrWhzr6nExWsBNRJUkgKemPcShj3Qy+mWzA6jxUZ9P1YcCI+\nL8kRfMQMVfJdy0Zx8VcJWYpX1xHs6nSHaiHIu1yk4T1QHtfUKUk3NzGFpiUXz2iM\nJ8AnTZsprTBfp6YkXCFxEmX5HERxR+Y31pjN0qxsltDLO4u+ZYXpTkgKO/5QfnzT\nmb0x2VZJFvApNCSVJW6WUD9YSsdrO4QLTStk20AsLR6R8n2SYibTx49Opx01fy2Q\n6wIDAQAB\n-----END PUBLIC KEY-----\n";

// JWKS with "k1" and a second key "k2".
inline constexpr const char* jwks = "{\"keys\": [{\"kty\": \"RSA\", \"kid\": \"k1\", \"use\": \"sig\", \"alg\": \"RS256\", \"n\": \"wieYIKg3J4DZp7EiH8kiiWXLqFHu8b6FXBxW4uihVdopP94F3PI_svVU9z9gD7oWlJApCqDJxPRbu1sXC9HpIS2NGTI_37xwbbEJnrWhzr6nExWsBNRJUkgKemPcShj3Qy-mWzA6jxUZ9P1YcCI-L8kRfMQMVfJdy0Zx8VcJWYpX1xHs6nSHaiHIu1yk4T1QHtfUKUk3NzGFpiUXz2iMJ8AnTZsprTBfp6YkXCFxEmX5HERxR-Y31pjN0qxsltDLO4u-ZYXpTkgKO_5QfnzTmb0x2VZJFvApNCSVJW6WUD9YSsdrO4QLTStk20AsLR6R8n2SYibTx49Opx01fy2Q6w\", \"e\": \"AQAB\"}, {\"kty\": \"RSA\", \"kid\": \"k2\", \"use\": \"sig\", \"alg\": \"RS256\", \"n\": \"vgVbEWb0ZT0-AOhksxhTE3rmnGPYmAVH3jA3IbZPM9iY1KjIsBBecOMmOB37Y_G3kg9wGXQO4nYym1H822iPMsLUInYazk0dwrwcgYulirPJWlzlGBem1Q4FBbKE__42lxRuVOUv11pjH6FM7wq6VjNZEHZIC-4-9Th1RLBaew-SN_xBNfrCgg2YWDBycgslTLm2N7uMGjd9l-b9orGmSy42fdwXiifco3XJ_WQw4xgFXu_wF8Rwauw6VDjg9qljYRw21EXpuQFmQjdrEICZ61mA2FPCNYPuwOID7px5YVUm2yQTd2KwlnV3T-_CAg6FvwoUu7dWXZf9bwFTK3qGTQ\", \"e\": \"AQAB\"}]}";

// Tokens signed with the real private keys, valid at `now` for the options of
// the fuzzer (issuer https://clerk.fuzz.test, party https://app.fuzz.test).
inline constexpr const char* valid_tokens[] = {
  "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyX2Z1enoiLCJzaWQiOiJzZXNzXzEiLCJpc3MiOiJodHRwczovL2NsZXJrLmZ1enoudGVzdCIsImF6cCI6Imh0dHBzOi8vYXBwLmZ1enoudGVzdCIsImV4cCI6NDEwMjQ0NDgwMCwiaWF0IjoxNzQ5OTk5MDAwLCJuYmYiOjE3NDk5OTkwMDB9.OfxmHVL_HCipzmpE4mU7fV5n3lCXhMUSkERbxxHEa-qgof4FTnOKz8j8wcNFXGwPTDY4Q5KdUL5fdVyhHbKqxtYD3LQN5WArDfkI2WBAzPYJ8gZZaSnlcD3juBmp5E11KzfEbnYF49avIeTUX6stZ4ZbONqTEHdC54pJfHXVtqQWeONON2f4ItcqQSiNnrTyFynxRZkO8BcsemJNLnZEoa_BY0TOLc2Sum_E_rUpdMOZCQK2_ZByCWPCmd3rM4vMUpFVTjQ-Qr4uEZ8Wmk-9iE1y9_zh4X7CvNoNiGDlw9JC3PGltcDL87vhUKITlntRBy_7gkYYEmI6ufp3JFUY6A",  // kid k1
  "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsyIn0.eyJzdWIiOiJ1c2VyX2Z1enoiLCJzaWQiOiJzZXNzXzEiLCJpc3MiOiJodHRwczovL2NsZXJrLmZ1enoudGVzdCIsImF6cCI6Imh0dHBzOi8vYXBwLmZ1enoudGVzdCIsImV4cCI6NDEwMjQ0NDgwMCwiaWF0IjoxNzQ5OTk5MDAwLCJuYmYiOjE3NDk5OTkwMDB9.iJeR4Rh3aSi1Xxnd1bh3iQRNYzBab79tTtQpBmezw7jx1Tzcrq1H2d_Yk-AtjuiAeMqFWay7Y9MNzKlbZ40eiwC2W1DjGSOEmo-8x2AUG-EBGxoGo2w-eroC039TXcXoQvr0uFhrmw4_eoY7w4tnF_BZ54D5jcpqOxYZkLlZZs3mY_Nc1FNMH_w9C4evTpM9A_8QYm-wgkByXMZ21VZHg8WpK7PLHcQnUXWfW_Iw8_4MqqC2v4mUNEus1RbZIINLq5zjUeYvMxLbt-daNcLUWX0yjGE12cDq6iaaTdUbf4K-79UsQgRQMr333yjX15G0fn8kTC8m-Sbh_hT5iQvcIw",  // kid k2
  "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyX2Z1enoiLCJzaWQiOiJzZXNzXzEiLCJpc3MiOiJodHRwczovL2NsZXJrLmZ1enoudGVzdCIsImF6cCI6Imh0dHBzOi8vYXBwLmZ1enoudGVzdCIsImV4cCI6NDEwMjQ0NDgwMCwiaWF0IjoxNzQ5OTk5MDAwLCJuYmYiOjE3NDk5OTkwMDB9.fzE44iaxKWIj6zHssERrMIdxCumAEfzr7Ztw8RNe4rAldSX1lVza02fBjoa2owjePRJNhIKfcYkFQrnUvQnwvNy2vNLhG7CDlMQ0B13SVgtAxlI56Gb-k6lA7RIft6zQgROSDFaVA27cEclaAz6-oa1qlNO_DaofMizDYmr6INdXBJevQ_ePeoVZyzW1GLvkwT2WARqr2KZGbsgXh0a72GjdiRp7ZFu0aZM-hU3pWyTtHNLnDmuOqPQdJ1AdytF8PfCFN7siJ7pH7w_893V9Z42chnLEzeoCgyLIMaNXByQJefE6xWla6Hjh0vq1D5Ou9ZyP14ZHx3RkoY2qSRHr2g",  // no kid, k1
};

inline constexpr long long now = 1750000000;

}  // namespace trainia::fuzz::jwt_fixtures
