"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.input = require("./input");
exports.output = require("./output");
