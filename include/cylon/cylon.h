/*
 * cylon/cylon.h - everything public in cylon-c: include this one header.
 */
#ifndef CYLON_H
#define CYLON_H

#include "cylon/arrow_c.h"
#include "cylon/compute.h"
#include "cylon/core.h"
#include "cylon/dist.h"
#include "cylon/io.h"
#include "cylon/net.h"
#include "cylon/plan.h"
#include "cylon/serverless.h"

#endif
