#!/bin/sh
# Starts a child that would outlive us, then hangs: the timeout must end both.
sleep 300 &
sleep 300
