// Certificates made at test time: a CA and a server certificate for
// localhost / 127.0.0.1 signed by it, as PEM files in a directory.
#pragma once

#include <string>

namespace bottega::testing {

struct TestCertificates {
  std::string ca_cert;      // trust this
  std::string server_cert;  // serve this...
  std::string server_key;   // ...with this key
};

// Writes the files into `dir` (created if needed) with the openssl program.
// Fails the test (ADD_FAILURE) and returns empty paths if that fails.
TestCertificates make_test_certificates(const std::string& dir);

// A fresh temporary directory under $TMPDIR (or /tmp), removed by the caller.
std::string make_temp_dir(const std::string& prefix);

}  // namespace bottega::testing
