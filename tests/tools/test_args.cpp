// The command line's small text helpers (tools/elbo/args.hpp): numbers written back as the shortest
// text that reads back the same (option defaults, config.txt, ensemble member names), and
// comma-separated option values split as written.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "args.hpp"

TEST_CASE("cli: shortest_number is the shortest text that reads back") {
  CHECK(cli::shortest_number(4.0) == "4");
  CHECK(cli::shortest_number(2.5) == "2.5");
  CHECK(cli::shortest_number(0.001) == "0.001");
  CHECK(cli::shortest_number(1e-5) == "1e-05");
  CHECK(cli::shortest_number(1e-4) == "0.0001");
  CHECK(cli::shortest_number(-0.0) == "-0");
  CHECK(cli::shortest_number(0.1 + 0.2) == "0.30000000000000004");  // needs all 17 digits
  CHECK(cli::shortest_number(INFINITY) == "inf");
  for (double v : {1.0 / 3.0, 6.02214076e23, -2.2250738585072014e-308, 123456.789, 1e-300})
    CHECK(std::strtod(cli::shortest_number(v).c_str(), nullptr) == v);
}

TEST_CASE("cli: split_commas keeps every part as written") {
  CHECK(cli::split_commas("a,,b") == std::vector<std::string>{"a", "", "b"});
  CHECK(cli::split_commas("") == std::vector<std::string>{""});
  CHECK(cli::split_commas("conv,mlp,") == std::vector<std::string>{"conv", "mlp", ""});
  CHECK(cli::split_commas("512") == std::vector<std::string>{"512"});
}

TEST_CASE("cli: config text writes a double option as its shortest text") {
  double lr = 1e-4, beta = 0.1 + 0.2;
  cli::Args args("elbo test", "a test command");
  args.flag("--lr", lr, "learning rate");
  args.flag("--beta", beta, "weight");
  std::vector<std::string> words = {"elbo", "--lr", "0.5"};
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  REQUIRE(args.parse(static_cast<int>(argv.size()), argv.data()));
  CHECK(lr == 0.5);
  CHECK(args.config_text() == "# elbo test\nlr = 0.5\nbeta = 0.30000000000000004\n");
}
