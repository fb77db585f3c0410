"""One settings module per site; each is a thin call to zhifu.config.base.build()."""
