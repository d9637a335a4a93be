(the app's own Dockerfile)
