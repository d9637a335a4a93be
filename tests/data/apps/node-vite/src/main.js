document.querySelector("#app").textContent = "vite";
