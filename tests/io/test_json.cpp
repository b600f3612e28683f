#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "elbo/error.hpp"
#include "elbo/io/json.hpp"

using namespace elbo;
using namespace elbo::json;

TEST_CASE("io: json parses every kind of value") {
  Value v = parse(R"( {"a": 1, "b": -2.5e3, "c": [true, false, null], "d": "x\"y\\z\n\u00e9\ud83d\ude00", "e": {}, "f": []} )");
  REQUIRE(v.is_object());
  CHECK(v.size() == 6);
  CHECK(v.at("a").is_integer());
  CHECK(v.at("a").as_int() == 1);
  CHECK(v.at("b").type() == Type::number);
  CHECK(v.at("b").as_double() == -2500.0);
  CHECK(v.at("c")[0].as_bool());
  CHECK(!v.at("c")[1].as_bool());
  CHECK(v.at("c")[2].is_null());
  CHECK(v.at("d").as_string() == "x\"y\\z\n\xC3\xA9\xF0\x9F\x98\x80");  // é and 😀 in UTF-8
  CHECK(v.at("e").is_object());
  CHECK(v.at("f").size() == 0);
  // Insertion order is kept.
  std::string keys;
  for (const auto& m : v.members()) keys += m.first;
  CHECK(keys == "abcdef");
}

TEST_CASE("io: json integers stay exact, other numbers are doubles") {
  CHECK(parse("9223372036854775807").as_int() == INT64_MAX);
  CHECK(parse("-9223372036854775808").as_int() == INT64_MIN);
  CHECK(parse("9007199254740993").as_int() == 9007199254740993);  // 2^53 + 1: not a double
  Value big = parse("9223372036854775808");                        // beyond int64: a double
  CHECK(big.type() == Type::number);
  CHECK(big.as_double() == 9223372036854775808.0);
  CHECK(parse("1.0").type() == Type::number);
  CHECK(parse("1e2").type() == Type::number);
  CHECK(parse("-0").as_int() == 0);
  CHECK_THROWS_WITH_AS(parse("1").as_string(), doctest::Contains("needs a string, the value is an integer"), Error);
}

TEST_CASE("io: json writes numbers that read back to the same bits") {
  for (double d : {0.1, 1.0 / 3.0, 1e-300, 5e-324, 1.7976931348623157e308, -0.0, 1.0, 100.0, 1e21, 123456.789,
                   2.5e-7}) {
    std::string text = dump(Value(d));
    Value back = parse(text);
    CHECK_MESSAGE(back.type() == Type::number, text);
    CHECK_MESSAGE(std::signbit(back.as_double()) == std::signbit(d), text);
    CHECK_MESSAGE(back.as_double() == d, text);
  }
  CHECK(dump(Value(1.0)) == "1.0");
  CHECK(dump(Value(0.1)) == "0.1");
  CHECK(dump(Value(int64_t{-42})) == "-42");
  CHECK_THROWS_WITH_AS(dump(Value(std::nan(""))), doctest::Contains("no JSON representation"), Error);
  CHECK_THROWS_AS(dump(Value(INFINITY)), Error);
}

TEST_CASE("io: json round trip, compact and pretty") {
  Value v = Value::object();
  v.set("model", "conv");
  v.set("z", 10);
  v.set("beta", 4.0);
  Value rng = Value::object();
  rng.set("seed", uint64_t{1234567890123ull});
  rng.set("counter", int64_t{1} << 40);
  v.set("rng", rng);
  Value list = Value::array();
  list.push_back(1);
  list.push_back("two\t");
  list.push_back(Value());
  v.set("list", list);
  std::string compact = dump(v);
  CHECK(compact ==
        R"({"model":"conv","z":10,"beta":4.0,"rng":{"seed":1234567890123,"counter":1099511627776},"list":[1,"two\t",null]})");
  CHECK(parse(compact) == v);
  std::string pretty = dump(v, 2);
  CHECK(pretty.find("\n  \"model\": \"conv\",\n") != std::string::npos);
  CHECK(parse(pretty) == v);
  // set() replaces in place.
  v.set("z", 20);
  CHECK(v.members()[1].first == "z");
  CHECK(v.at("z").as_int() == 20);
  CHECK(Value(1) != Value(1.0));
}

TEST_CASE("io: json errors name the line and column") {
  auto message = [](const std::string& text) {
    try {
      parse(text, "config.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("{\n  \"a\": 1,\n  \"b\": tru\n}") ==
        "config.json: line 3, column 8: expected 'true', found 't'");
  CHECK(message("[1, 2") == "config.json: line 1, column 6: expected ',' or ']' in an array, found the end of the text");
  CHECK(message("{\"a\": 1,}").find("line 1, column 9: expected a member name") != std::string::npos);
  CHECK(message("{\"a\": 1, \"a\": 2}").find("duplicate member name \"a\"") != std::string::npos);
  CHECK(message("01").find("expected the end of the text") != std::string::npos);
  CHECK(message("1.").find("expected a digit after '.'") != std::string::npos);
  CHECK(message("\"a\nb\"").find("control characters") != std::string::npos);
  CHECK(message("\"\\x\"").find("expected an escape") != std::string::npos);
  CHECK(message("\"\\ud800\"").find("low surrogate") != std::string::npos);
  CHECK(message("1e999").find("range of a double") != std::string::npos);
  CHECK(message("").find("expected a value") != std::string::npos);
  CHECK(message("[] []").find("line 1, column 4") != std::string::npos);
  CHECK(message(std::string(300, '[')).find("nesting deeper than 256") != std::string::npos);
  CHECK(message(std::string(200, '[') + std::string(200, ']')) == "no error");
  CHECK_THROWS_WITH_AS(parse("{}").at("missing"), doctest::Contains("no member \"missing\""), Error);
}
