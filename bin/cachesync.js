#!/usr/bin/env node
import '../dist/cli/cachesync.js'
