module example.com/acme/go-mod

go 1.19
