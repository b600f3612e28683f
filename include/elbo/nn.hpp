// The nn layer: modules, layers, initialisers, optimisers, clipping and schedules.
#pragma once
#include "elbo/nn/activation.hpp"
#include "elbo/nn/batchnorm.hpp"
#include "elbo/nn/clip.hpp"
#include "elbo/nn/conv.hpp"
#include "elbo/nn/flatten.hpp"
#include "elbo/nn/init.hpp"
#include "elbo/nn/linear.hpp"
#include "elbo/nn/module.hpp"
#include "elbo/nn/optim.hpp"
#include "elbo/nn/schedule.hpp"
#include "elbo/nn/sequential.hpp"

