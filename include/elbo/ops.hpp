// Every op of elbo, for convenience.
#pragma once
#include "elbo/autograd.hpp"
#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/backend.hpp"
#include "elbo/ops/linalg.hpp"
#include "elbo/ops/math.hpp"
#include "elbo/ops/random.hpp"
#include "elbo/ops/reduce.hpp"
#include "elbo/ops/shape.hpp"
#include "elbo/tensor.hpp"
