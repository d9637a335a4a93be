#!/bin/sh
# Never start services while packages are installed in an image build.
exit 101
