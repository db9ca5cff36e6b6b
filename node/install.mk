# What `make install` lays out beside the programs: manual pages built from
# the programs' own -help (so they never drift from the options), and the
# example configuration and systemd unit under the documentation folder.
HELPDOC = $(PYTHON3) $(top_srcdir)/contrib/gen/helpdoc.py
man1_MANS = hearsayd.1 hearsay-cli.1
CLEANFILES += $(man1_MANS)
hearsayd.1: hearsayd$(EXEEXT) $(top_srcdir)/contrib/gen/helpdoc.py
	$(AM_V_GEN)$(HELPDOC) man ./hearsayd$(EXEEXT) "hearsay peer-to-peer relay node" >$@.tmp && mv $@.tmp $@
hearsay-cli.1: hearsay-cli$(EXEEXT) $(top_srcdir)/contrib/gen/helpdoc.py
	$(AM_V_GEN)$(HELPDOC) man ./hearsay-cli$(EXEEXT) "hearsay JSON-RPC client" >$@.tmp && mv $@.tmp $@

examplesdir = $(docdir)/examples
dist_examples_DATA = contrib/hearsay.conf.example contrib/init/hearsayd.service \
	contrib/grafana/hearsay-dashboard.json
EXTRA_DIST += contrib/gen/helpdoc.py

# Regenerates the committed example configuration after options change;
# tests/functional/install.py fails while it is out of date.
conf-example: hearsayd$(EXEEXT)
	$(HELPDOC) conf ./hearsayd$(EXEEXT) >$(top_srcdir)/contrib/hearsay.conf.example
.PHONY: conf-example
